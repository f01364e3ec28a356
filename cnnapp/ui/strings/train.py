"""The Train tab (with "Suggest a learning rate") and the architecture and augmentation fields it shares."""

EN = {
    "train.title": "2 · Train",
    "train.arch": "Architecture",
    "train.arch_info": "any timm model name works too",
    "train.augment": "Augmentations",
    "train.augment_info": "preset or list, e.g. hflip,crop=0.8,rotate=15 (preview on the Data tab)",
    "train.idle": (
        '<div class="cnn-empty">No training running. The defaults (EfficientNet-Lite0 pretrained on ImageNet, '
        "frozen, {size} px) train the example to 80–90% validation accuracy in a few seconds: "
        "press <b>Start</b>.</div>"
    ),
    "train.weights_offline": "✓ ImageNet weights available offline",
    "train.weights_online": "ImageNet weights downloaded when online (needs internet)",
    "train.weights_none": "— no pretrained weights (trains from scratch)",
    "train.card": "{params} M parameters · input {input} px (min {min}) · {weights}",
    "train.no_weights": "{problem}: untick, or pick {arch}",
    "train.no_dataset": "no dataset chosen: pick one on the 1 · Data tab (the example works)",
    "train.queued": "“{name}” is number {place} in the queue: it starts when the runs before it end",
    "train.starting": "“{name}” is starting",
    "train.stopping": "stopping after the current batch…",
    "train.place": "number {place} in the queue: it starts when the runs before it end",
    "train.nothing_to_stop": "no training to stop",
    "train.pretrained": "Start from ImageNet weights",
    "train.freeze": "Freeze the backbone (train the head only)",
    "train.epochs": "Epochs",
    "train.recipe": "Recipe",
    "train.recipe_none": "none (the form's settings)",
    "train.recipe_speedrun": "speedrun",
    "train.balance_none": "none",
    "train.balance_sampler": "sampler (every class equally often)",
    "train.balance_weights": "weights (in the loss)",
    "train.balance_auto": "auto",
    "train.recipe_info": "fills the form with a tested set of settings; speedrun: Fashion-MNIST to 93% in minutes",
    "train.unfreeze": "Then unfreeze for … epochs",
    "train.unfreeze_info": "fine-tune the whole network at the backbone rate",
    "train.img_size": "Image size (px)",
    "train.img_size_info": "small is fast on a CPU",
    "train.more": "More settings",
    "train.patience": "Stop early after … epochs without improvement",
    "train.patience_info": "0: off; the best epoch's weights are kept, and each stage has its own patience",
    "train.lr_head": "Learning rate (head)",
    "train.lr_backbone": "Learning rate (backbone)",
    "train.lr_backbone_info": "default: head rate ÷ 10 when pretrained",
    "train.optimizer": "Optimizer",
    "train.scheduler": "Schedule",
    "train.balance": "Class balance",
    "train.balance_info": (
        "for unbalanced classes: sampler draws every class equally often, weights weighs the loss by inverse "
        "class frequency, auto uses weights past 3:1; none trains on the images as they are"
    ),
    "train.batch_size": "Batch size",
    "train.seed": "Seed",
    "train.name": "Name (optional)",
    "train.name_hint": "e.g. shoes v2; blank: architecture · dataset · mode",
    "train.start": "▶ Start training",
    "train.stop": "■ Stop",
    "train.log": "Training log",
    # "Suggest a learning rate"
    "train.suggest": "Suggest a learning rate",
    "train.lr_curve": "Loss against learning rate",
    "train.lr_failed": "Could not suggest a learning rate: {reason}",
    "train.lr_worker_failed": "the worker process failed unexpectedly",
    "train.lr_suggested": (
        "Suggested learning rate **{lr}** for the head: the {method} of the loss curve (it falls fastest at "
        "{steepest}). Found in {seconds} s over {steps} steps"
    ),
    "train.lr_valley": "valley",
    "train.lr_frozen": ", training only the head.",
    "train.lr_whole": ", training the whole network.",
    "train.lr_same": "the same rate",
    "train.lr_times": "the head's rate × {ratio}",
    "train.lr_tenth": "the head's rate ÷ 10, the usual choice for fine-tuning",
    "train.lr_backbone_gets": " The backbone gets {lr}: {rule}.",
    # timm's regularisers (More settings)
    "train.mixup": "Mixup α",
    "train.mixup_info": "0: off; blends pairs of training images and their labels (e.g. 0.2)",
    "train.cutmix": "Cutmix α",
    "train.cutmix_info": "0: off; pastes a box of one training image into another, labels by area (e.g. 1.0)",
    "train.ema_decay": "EMA of the weights (decay)",
    "train.ema_decay_info": "0: off; validates and saves a moving average of the weights, often steadier (e.g. 0.999)",
}
ES = {
    "train.title": "2 · Entrenar",
    "train.arch": "Arquitectura",
    "train.arch_info": "también sirve cualquier nombre de modelo de timm",
    "train.augment": "Aumento de datos",
    "train.augment_info": (
        "un preajuste o una lista, p. ej. hflip,crop=0.8,rotate=15 (vista previa en la pestaña Datos)"
    ),
    "train.idle": (
        '<div class="cnn-empty">No hay ningún entrenamiento en curso. Los valores por defecto (EfficientNet-Lite0 '
        "con pesos preentrenados en ImageNet, congelada, {size} px) entrenan el ejemplo hasta un 80–90 % de "
        "exactitud de validación en pocos segundos: pulsa <b>Iniciar</b>.</div>"
    ),
    "train.weights_offline": "✓ pesos de ImageNet disponibles sin conexión",
    "train.weights_online": "pesos de ImageNet descargados con conexión (necesita internet)",
    "train.weights_none": "— sin pesos preentrenados (entrena desde cero)",
    "train.card": "{params} M parámetros · entrada de {input} px (mín. {min}) · {weights}",
    "train.no_weights": "{problem}: desmárcalo o elige {arch}",
    "train.no_dataset": "no hay conjunto de datos elegido: elige uno en la pestaña 1 · Datos (el ejemplo sirve)",
    "train.queued": "«{name}» es el número {place} de la cola: empieza cuando terminen los anteriores",
    "train.starting": "«{name}» está empezando",
    "train.stopping": "deteniendo tras el lote actual…",
    "train.place": "número {place} de la cola: empieza cuando terminen los anteriores",
    "train.nothing_to_stop": "no hay ningún entrenamiento que detener",
    "train.pretrained": "Partir de pesos preentrenados en ImageNet",
    "train.freeze": "Congelar la red base (entrenar solo la cabeza)",
    "train.epochs": "Épocas",
    "train.recipe": "Receta",
    "train.recipe_none": "ninguna (los ajustes del formulario)",
    "train.recipe_speedrun": "speedrun",
    "train.balance_none": "ninguno",
    "train.balance_sampler": "muestreo (cada clase igual de a menudo)",
    "train.balance_weights": "pesos (en la pérdida)",
    "train.balance_auto": "automático",
    "train.recipe_info": "rellena el formulario con ajustes probados; speedrun: Fashion-MNIST al 93 % en minutos",
    "train.unfreeze": "Después, descongelar durante … épocas",
    "train.unfreeze_info": "ajuste fino de toda la red con la tasa de la red base",
    "train.img_size": "Tamaño de imagen (px)",
    "train.img_size_info": "pequeño es rápido en una CPU",
    "train.more": "Más ajustes",
    "train.patience": "Parada temprana tras … épocas sin mejora",
    "train.patience_info": (
        "0: desactivado; se guardan los pesos de la mejor época y cada etapa tiene su propia paciencia"
    ),
    "train.lr_head": "Tasa de aprendizaje (cabeza)",
    "train.lr_backbone": "Tasa de aprendizaje (red base)",
    "train.lr_backbone_info": "por defecto: tasa de la cabeza ÷ 10 con pesos preentrenados",
    "train.optimizer": "Optimizador",
    "train.scheduler": "Planificación de la tasa",
    "train.balance": "Equilibrio de clases",
    "train.balance_info": (
        "para clases desequilibradas: sampler muestrea cada clase igual de a menudo, weights pondera la pérdida por "
        "la frecuencia inversa de cada clase, auto usa weights a partir de 3:1; none entrena con las imágenes tal cual"
    ),
    "train.batch_size": "Tamaño del lote",
    "train.seed": "Semilla",
    "train.name": "Nombre (opcional)",
    "train.name_hint": "p. ej. zapatos v2; vacío: arquitectura · datos · modo",
    "train.start": "▶ Iniciar entrenamiento",
    "train.stop": "■ Detener",
    "train.log": "Registro del entrenamiento",
    "train.suggest": "Sugerir una tasa de aprendizaje",
    "train.lr_curve": "Pérdida según la tasa de aprendizaje",
    "train.lr_failed": "No se pudo sugerir una tasa de aprendizaje: {reason}",
    "train.lr_worker_failed": "el proceso auxiliar falló de forma inesperada",
    "train.lr_suggested": (
        "Tasa de aprendizaje sugerida para la cabeza: **{lr}**, en el {method} de la curva de pérdida "
        "(donde más deprisa baja: {steepest}). Encontrada en {seconds} s con {steps} iteraciones"
    ),
    "train.lr_valley": "valle",
    "train.lr_frozen": ", entrenando solo la cabeza.",
    "train.lr_whole": ", entrenando toda la red.",
    "train.lr_same": "la misma tasa",
    "train.lr_times": "la tasa de la cabeza × {ratio}",
    "train.lr_tenth": "la tasa de la cabeza ÷ 10, lo habitual en el ajuste fino",
    "train.lr_backbone_gets": " La red base recibe {lr}: {rule}.",
    # regularizadores de timm (Más ajustes)
    "train.mixup": "Mixup α",
    "train.mixup_info": "0: desactivado; funde pares de imágenes de entrenamiento y sus etiquetas (p. ej. 0.2)",
    "train.cutmix": "Cutmix α",
    "train.cutmix_info": (
        "0: desactivado; pega un recuadro de una imagen de entrenamiento en otra, etiquetas según el área (p. ej. 1.0)"
    ),
    "train.ema_decay": "Media móvil (EMA) de los pesos (decaimiento)",
    "train.ema_decay_info": (
        "0: desactivada; valida y guarda una media móvil de los pesos, a menudo más estable (p. ej. 0.999)"
    ),
}
