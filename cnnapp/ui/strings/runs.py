"""The Runs tab: the table of runs and the selected run's details, weights, Resume, Stop, Rename and Delete."""

EN = {
    "runs.title": "4 · Runs",
    "runs.empty": (
        '<div class="cnn-empty"><b>No runs yet.</b> Go to <b>2 · Train</b>, keep the defaults and press '
        "<b>Start</b>: on the example data a run takes about a minute. Every training appears here, with its curves "
        "and weights.</div>"
    ),
    "runs.pick": "Click a run for its details, curves and weights.",
    "runs.refresh": "↻ Refresh",
    "runs.table": "Runs (click a row)",
    "runs.per_class": "Per class (validation)",
    "runs.name": "Name",
    "runs.rename": "Rename",
    "runs.stop": "■ Stop",
    "runs.cancel_queued": "✕ Cancel this queued run",
    "runs.download": "Download weights (.safetensors)",
    "runs.resume": "▶ Resume",
    "runs.resume_checkpoint": "▶ Resume from the last checkpoint",
    "runs.train_again": "▶ Train again (no checkpoint was saved)",
    "runs.delete": "Delete run",
    "runs.confirm": "Delete this run and its files for good?",
    "runs.yes_delete": "Yes, delete",
    "runs.keep": "Keep it",
    # table columns
    "runs.col_run": "run",
    "runs.col_name": "name",
    "runs.col_dataset": "dataset",
    "runs.col_state": "state",
    "runs.col_architecture": "architecture",
    "runs.col_pretrained": "pretrained",
    "runs.col_frozen": "frozen",
    "runs.col_lr_head": "lr head",
    "runs.col_lr_backbone": "lr backbone",
    "runs.col_epochs": "epochs",
    "runs.col_best_val_acc": "best val acc",
    "runs.col_balanced_acc": "balanced acc",
    "runs.col_macro_f1": "macro F1",
    "runs.balanced_acc": " · balanced accuracy {acc}",
    "runs.col_duration": "duration",
    "runs.col_created": "created",
    "runs.queued_place": "queued #{place}",
    # the selected run
    "runs.trained_on": "Trained on **{name}**: {files} files, {mb} MB, SHA-256 <code>{sha}…</code>",
    "runs.of_file": " (of file {file})",
    "runs.settings": (
        "**{arch}** · pretrained {pretrained} · frozen {frozen} · {epochs} epoch(s){unfrozen} · {size} px · "
        "batch {batch} · {optimizer} (head {lr_head}, backbone {lr_backbone}) · {scheduler} schedule · "
        "augment {augment} · seed {seed}"
    ),
    "runs.unfrozen": " + {n} unfrozen",
    "runs.scores": "**Validation accuracy {acc}** (best epoch {epoch}) · macro F1 {f1}",
    "runs.test_acc": " · **test accuracy {acc}**",
    "runs.took": " · {classes} classes · took {duration}",
    "runs.no_selection": "no run selected: click a run in the table first",
    "runs.renamed": "Renamed to “{name}”",
    "runs.follow": "; follow it on 2 · Train",
    "runs.busy": "run {run} is {state}: stop it on the Train tab before deleting it",
    "runs.deleted": "Deleted {run}",
}
ES = {
    "runs.title": "4 · Ejecuciones",
    "runs.empty": (
        '<div class="cnn-empty"><b>Aún no hay ejecuciones.</b> Ve a <b>2 · Entrenar</b>, deja los valores por '
        "defecto y pulsa <b>Iniciar</b>: con los datos de ejemplo, un entrenamiento tarda cerca de un minuto. "
        "Cada entrenamiento aparece aquí, con sus curvas y sus pesos.</div>"
    ),
    "runs.pick": "Pulsa una ejecución para ver sus detalles, curvas y pesos.",
    "runs.refresh": "↻ Actualizar",
    "runs.table": "Ejecuciones (pulsa una fila)",
    "runs.per_class": "Por clase (validación)",
    "runs.name": "Nombre",
    "runs.rename": "Cambiar nombre",
    "runs.stop": "■ Detener",
    "runs.cancel_queued": "✕ Cancelar esta ejecución en cola",
    "runs.download": "Descargar los pesos (.safetensors)",
    "runs.resume": "▶ Reanudar",
    "runs.resume_checkpoint": "▶ Reanudar desde el último punto de control",
    "runs.train_again": "▶ Entrenar de nuevo (no se guardó ningún punto de control)",
    "runs.delete": "Borrar ejecución",
    "runs.confirm": "¿Borrar esta ejecución y sus archivos para siempre?",
    "runs.yes_delete": "Sí, borrar",
    "runs.keep": "Conservarla",
    "runs.col_run": "ejecución",
    "runs.col_name": "nombre",
    "runs.col_dataset": "datos",
    "runs.col_state": "estado",
    "runs.col_architecture": "arquitectura",
    "runs.col_pretrained": "preentrenada",
    "runs.col_frozen": "congelada",
    "runs.col_lr_head": "tasa cabeza",
    "runs.col_lr_backbone": "tasa red base",
    "runs.col_epochs": "épocas",
    "runs.col_best_val_acc": "mejor exactitud val.",
    "runs.col_balanced_acc": "exactitud equilibrada",
    "runs.col_macro_f1": "F1 macro",
    "runs.balanced_acc": " · exactitud equilibrada {acc}",
    "runs.col_duration": "duración",
    "runs.col_created": "creada",
    "runs.queued_place": "en cola n.º {place}",
    "runs.trained_on": "Entrenada con **{name}**: {files} archivos, {mb} MB, SHA-256 <code>{sha}…</code>",
    "runs.of_file": " (del archivo {file})",
    "runs.settings": (
        "**{arch}** · preentrenada {pretrained} · congelada {frozen} · {epochs} época(s){unfrozen} · {size} px · "
        "lote {batch} · {optimizer} (cabeza {lr_head}, red base {lr_backbone}) · planificación {scheduler} · "
        "aumento {augment} · semilla {seed}"
    ),
    "runs.unfrozen": " + {n} sin congelar",
    "runs.scores": "**Exactitud de validación {acc}** (mejor época {epoch}) · F1 macro {f1}",
    "runs.test_acc": " · **exactitud de prueba {acc}**",
    "runs.took": " · {classes} clases · tardó {duration}",
    "runs.no_selection": "no hay ninguna ejecución seleccionada: pulsa antes una en la tabla",
    "runs.renamed": "Nuevo nombre: «{name}»",
    "runs.follow": "; síguela en 2 · Entrenar",
    "runs.busy": "la ejecución {run} está {state}: detenla en la pestaña Entrenar antes de borrarla",
    "runs.deleted": "Se borró {run}",
}
