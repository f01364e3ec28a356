"""Text of the Compare tab."""

EN = {
    "compare.title": "Compare",
    "compare.intro": """
**Compare experiments** (the course's last slide): does starting from ImageNet weights (*transfer learning*)
help, and should the pretrained backbone be trained too (*fine tuning*)? One click queues the four runs below on
the chosen dataset and the Train tab's architecture, with the same split and options:

| | pretrained | backbone | what it is |
|---|---|---|---|
| **(a)** | no | trained | from scratch |
| **(b)** | yes | frozen | feature extraction: only the new head learns |
| **(c)** | yes | trained | full fine-tuning, the backbone at a 10× lower learning rate |
| **(d)** | yes | frozen, then unfrozen | the course's two steps: `fit`, `model.unfreeze()`, `fit(lr=1e-4)` |
""",
    "compare.empty": '<div class="cnn-empty"><b>Nothing to compare yet.</b> Press <b>Queue the runs</b>, '
    "or pick finished runs in the list.</div>",
    "compare.col_setting": "setting",
    "compare.col_state": "state",
    "compare.col_stages": "stages",
    "compare.col_lr_head": "lr head",
    "compare.col_lr_backbone": "lr backbone",
    "compare.col_trainable_params": "trainable params",
    "compare.col_best_val_acc": "best val acc",
    "compare.col_best_val_balanced_acc": "balanced acc",
    "compare.col_best_val_macro_f1": "macro F1",
    "compare.col_balance": "class balance",
    "compare.balance": "Class balance (every setting)",
    "compare.col_test_acc": "test acc",
    "compare.col_train_seconds": "time",
    "compare.col_run_id": "run",
    "compare.col_will_run": "will it run?",
    "compare.setting_a": "(a) from scratch",
    "compare.setting_b": "(b) pretrained, frozen backbone",
    "compare.setting_c": "(c) pretrained, full fine-tuning",
    "compare.setting_d": "(d) pretrained, frozen then unfrozen",
    "compare.setting_scratch_frozen": "from scratch, frozen",
    "compare.stage_full": "full",
    "compare.stage_frozen": "frozen",
    "compare.stage_unfrozen": "unfrozen",
    "compare.state_queued": "queued",
    "compare.state_ingesting": "ingesting",
    "compare.state_running": "running",
    "compare.state_completed": "completed",
    "compare.state_failed": "failed",
    "compare.state_cancelled": "cancelled",
    "compare.state_interrupted": "interrupted",
    "compare.plan": "Trains **{arch}** (the Train tab's architecture) on **{dataset}**: {runnable} of {total} settings "
    "can run.",
    "compare.will_run": "✓ will run",
    "compare.skipped": "✗ skipped: {reason}",
    "compare.none_can_run": "none of the settings can run: {reason}",
    "compare.queued": "Queued {n} runs: they train one after another",
    "compare.queued_skipped": "Queued {n} runs: they train one after another; {skipped} skipped",
    "compare.progress": "{done} of {total} runs finished",
    "compare.left": " · about {left} left",
    "compare.val_acc_pct": "validation accuracy (%)",
    "compare.epoch": "epoch",
    "compare.epochs": "Epochs per run",
    "compare.epochs_info": "(d): frozen epochs",
    "compare.unfreeze": "(d): then unfrozen for … epochs",
    "compare.unfreeze_info": "0: as many as the frozen ones",
    "compare.img_size": "Image size (px)",
    "compare.img_size_info": "small is fast on a CPU",
    "compare.lr_head": "Learning rate (head)",
    "compare.what_will_run": "What will run",
    "compare.queue": "▶ Queue the runs",
    "compare.runs": "Runs compared",
    "compare.runs_info": "the grid just queued, or any runs you pick",
    "compare.comparison": "Comparison",
    "compare.curves": "Validation accuracy per epoch",
    "compare.csv": "⬇ comparison.csv",
}
ES = {
    "compare.title": "Comparar",
    "compare.intro": """
**Comparar experimentos** (la última diapositiva del curso): ¿ayuda partir de los pesos de ImageNet (*transfer
learning*) y conviene entrenar también la red base preentrenada (*fine tuning*)? Un clic pone en cola los cuatro
entrenamientos de abajo con el conjunto de datos elegido y la arquitectura de la pestaña de entrenamiento, con la
misma partición y las mismas opciones:

| | preentrenado | red base | qué es |
|---|---|---|---|
| **(a)** | no | entrenada | desde 0 |
| **(b)** | sí | congelada | extracción de características: solo aprende la nueva cabeza |
| **(c)** | sí | entrenada | fine tuning completo, la red base con una tasa de aprendizaje 10 veces menor |
| **(d)** | sí | congelada y luego descongelada | los dos pasos del curso: `fit`, `model.unfreeze()`, `fit(lr=1e-4)` |
""",
    "compare.empty": '<div class="cnn-empty"><b>Aún no hay nada que comparar.</b> Pulsa <b>Poner en cola los '
    "entrenamientos</b> o elige entrenamientos terminados en la lista.</div>",
    "compare.col_setting": "configuración",
    "compare.col_state": "estado",
    "compare.col_stages": "etapas",
    "compare.col_lr_head": "tasa cabeza",
    "compare.col_lr_backbone": "tasa red base",
    "compare.col_trainable_params": "parámetros entrenables",
    "compare.col_best_val_acc": "mejor exactitud val.",
    "compare.col_best_val_balanced_acc": "exactitud equilibrada",
    "compare.col_best_val_macro_f1": "F1 macro",
    "compare.col_balance": "equilibrio de clases",
    "compare.balance": "Equilibrio de clases (en cada ajuste)",
    "compare.col_test_acc": "exactitud prueba",
    "compare.col_train_seconds": "tiempo",
    "compare.col_run_id": "entrenamiento",
    "compare.col_will_run": "¿se entrenará?",
    "compare.setting_a": "(a) desde 0",
    "compare.setting_b": "(b) preentrenado, red base congelada",
    "compare.setting_c": "(c) preentrenado, fine tuning completo",
    "compare.setting_d": "(d) preentrenado, congelado y luego descongelado",
    "compare.setting_scratch_frozen": "desde 0, congelado",
    "compare.stage_full": "completo",
    "compare.stage_frozen": "congelado",
    "compare.stage_unfrozen": "descongelado",
    "compare.state_queued": "en cola",
    "compare.state_ingesting": "leyendo datos",
    "compare.state_running": "entrenando",
    "compare.state_completed": "terminado",
    "compare.state_failed": "fallido",
    "compare.state_cancelled": "cancelado",
    "compare.state_interrupted": "interrumpido",
    "compare.plan": "Entrena **{arch}** (la arquitectura de la pestaña de entrenamiento) con **{dataset}**: se "
    "pueden entrenar {runnable} de {total} configuraciones.",
    "compare.will_run": "✓ se entrenará",
    "compare.skipped": "✗ se omite: {reason}",
    "compare.none_can_run": "no se puede entrenar ninguna de las configuraciones: {reason}",
    "compare.queued": "{n} entrenamientos en cola: se entrenan uno tras otro",
    "compare.queued_skipped": "{n} entrenamientos en cola: se entrenan uno tras otro; {skipped} omitidos",
    "compare.progress": "{done} de {total} entrenamientos terminados",
    "compare.left": " · quedan unos {left}",
    "compare.val_acc_pct": "exactitud de validación (%)",
    "compare.epoch": "época",
    "compare.epochs": "Épocas por entrenamiento",
    "compare.epochs_info": "(d): épocas con la red base congelada",
    "compare.unfreeze": "(d): luego descongelada durante … épocas",
    "compare.unfreeze_info": "0: tantas como las congeladas",
    "compare.img_size": "Tamaño de imagen (px)",
    "compare.img_size_info": "pequeño es rápido en una CPU",
    "compare.lr_head": "Tasa de aprendizaje (cabeza)",
    "compare.what_will_run": "Qué se entrenará",
    "compare.queue": "▶ Poner en cola los entrenamientos",
    "compare.runs": "Entrenamientos comparados",
    "compare.runs_info": "la cuadrícula recién puesta en cola o los entrenamientos que elijas",
    "compare.comparison": "Comparación",
    "compare.curves": "Exactitud de validación por época",
    "compare.csv": "⬇ comparison.csv",
}
