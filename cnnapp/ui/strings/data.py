"""The Data tab: choosing a dataset, its summary, samples, ingestion report and augmentation preview."""

EN = {
    "data.title": "1 · Data",
    "data.intro": (
        "Images go in one sub-folder per class: `photos/cat/1.jpg`, `photos/dog/2.jpg` … (or `train/`, `val/`, "
        "`test/` folders of classes). Junk (hidden files, non-images, corrupt images, duplicates) is skipped and "
        "listed in the report."
    ),
    "data.use_example": "Use the example: Fashion-MNIST mini (example), 400 images",
    "data.use_cifar": ("Use CIFAR-10 (course example): 10 classes, 500 + 500 train/test photos each (downloaded once)"),
    "data.upload_zip": "Upload a .zip",
    "data.upload_folder": "…or a folder",
    "data.empty": (
        '<div class="cnn-empty">No dataset yet: use the example, or upload a .zip or a folder of '
        "<code>&lt;class&gt;/&lt;image&gt;</code> sub-folders.</div>"
    ),
    "data.counts": "Images per class",
    "data.samples": "Samples per class",
    "data.report": "Ingestion report",
    "data.skipped": "Skipped files",
    "data.augment_title": "### Augmentation preview",
    "data.augment": "Augmentations (used for training)",
    "data.augment_info": "a preset, or your own list such as hflip,crop=0.8,rotate=15,noise",
    "data.reshuffle": "Other samples",
    "data.augmented": "Augmented samples",
    # handler text
    "data.col_class": "class",
    "data.col_total": "total",
    "data.col_train": "train",
    "data.col_val": "val",
    "data.col_test": "test",
    "data.col_path": "path",
    "data.col_reason": "reason",
    "data.no_warnings": "No warnings.",
    "data.balance": "Class balance: largest ÷ smallest class in train = **{ratio:.1f}:1**.",
    "data.skipped_count": "{n} file(s) skipped",
    "data.skipped_listed": ", listed below with the reason.",
    "data.report_label": "Ingestion report · {skipped} skipped · {warnings} warning(s)",
    "data.split_train": "{n} for training",
    "data.split_val": "{n} for validation",
    "data.split_test": "{n} for testing",
    "data.summary": (
        "### ✓ {name}\n**{classes} classes · {images} images**: {parts} (validation: {val_source}). "
        "Next: **2 · Train**."
    ),
    "data.val_folder": "its own folder",
    "data.val_split": "{pct} of train, stratified (seed {seed})",
    "data.cannot_use": "{name} cannot be used: {reason}",
    "data.still_using": " Still using <b>{name}</b>.",
    "data.no_example": "the example dataset is not installed (assets/fashion-mnist-mini)",
    "data.uploaded_folder": "uploaded folder ({n} files)",
    "data.choose_first": "Choose a dataset to preview augmentations.",
    "data.original": "{name} · original",
    "data.augmented_one": "{name} · augmented",
    "data.augment_text": "**Augmentations:** {text}. Each row: a training image, then three random draws.",
    "data.none_chosen": "**Data:** none chosen yet; pick one on the **1 · Data** tab (the example works).",
    "data.line": "**Data:** {name}: {classes} classes, {images} images.",
    "data.expired": "the uploaded dataset has expired from the server; upload it again",
    "data.no_folders": (
        "the browser sent the files without their folders, so the classes are unknown; upload the folder as a .zip "
        "instead"
    ),
    "data.not_stored": "could not store the uploaded folder ({reason})",
    "data.example_name": "Fashion-MNIST mini (example)",  # the bundled example's name (`dataset_state`)
    # the augmentation presets (`cnnapp.data.transforms.PRESETS`) by key
    "data.preset_none": "none",
    "data.preset_light": "light",
    "data.preset_medium": "medium",
    "data.preset_strong": "strong",
}
ES = {
    "data.title": "1 · Datos",
    "data.intro": (
        "Las imágenes van en una subcarpeta por clase: `fotos/gato/1.jpg`, `fotos/perro/2.jpg` … (o carpetas "
        "`train/`, `val/`, `test/` con clases dentro). Lo que no sirve (archivos ocultos, no imágenes, imágenes "
        "dañadas, duplicados) se omite y aparece en el informe."
    ),
    "data.use_example": "Usar el ejemplo: Fashion-MNIST mini (ejemplo), 400 imágenes",
    "data.use_cifar": (
        "Usar CIFAR-10 (ejemplo del curso): 10 clases, 500 + 500 fotos de entrenamiento/prueba cada una "
        "(se descarga una vez)"
    ),
    "data.upload_zip": "Subir un .zip",
    "data.upload_folder": "…o una carpeta",
    "data.empty": (
        '<div class="cnn-empty">Aún no hay conjunto de datos: usa el ejemplo o sube un .zip o una carpeta con '
        "subcarpetas <code>&lt;clase&gt;/&lt;imagen&gt;</code>.</div>"
    ),
    "data.counts": "Imágenes por clase",
    "data.samples": "Muestras por clase",
    "data.report": "Informe de lectura",
    "data.skipped": "Archivos omitidos",
    "data.augment_title": "### Vista previa del aumento de datos",
    "data.augment": "Aumento de datos (usado al entrenar)",
    "data.augment_info": "un preajuste o tu propia lista, como hflip,crop=0.8,rotate=15,noise",
    "data.reshuffle": "Otras muestras",
    "data.augmented": "Muestras aumentadas",
    "data.col_class": "clase",
    "data.col_total": "total",
    "data.col_train": "entren.",
    "data.col_val": "valid.",
    "data.col_test": "prueba",
    "data.col_path": "ruta",
    "data.col_reason": "motivo",
    "data.no_warnings": "Sin avisos.",
    "data.balance": "Equilibrio de clases: la clase mayor ÷ la menor en entrenamiento = **{ratio:.1f}:1**.",
    "data.skipped_count": "{n} archivo(s) omitido(s)",
    "data.skipped_listed": ", listados abajo con el motivo.",
    "data.report_label": "Informe de lectura · {skipped} omitido(s) · {warnings} aviso(s)",
    "data.split_train": "{n} para entrenamiento",
    "data.split_val": "{n} para validación",
    "data.split_test": "{n} para prueba",
    "data.summary": (
        "### ✓ {name}\n**{classes} clases · {images} imágenes**: {parts} (validación: {val_source}). "
        "Siguiente: **2 · Entrenar**."
    ),
    "data.val_folder": "su propia carpeta",
    "data.val_split": "{pct} de entrenamiento, estratificado (semilla {seed})",
    "data.cannot_use": "{name} no se puede usar: {reason}",
    "data.still_using": " Se sigue usando <b>{name}</b>.",
    "data.no_example": "el conjunto de ejemplo no está instalado (assets/fashion-mnist-mini)",
    "data.uploaded_folder": "carpeta subida ({n} archivos)",
    "data.choose_first": "Elige un conjunto de datos para ver el aumento de datos.",
    "data.original": "{name} · original",
    "data.augmented_one": "{name} · aumentada",
    "data.augment_text": (
        "**Aumento de datos:** {text}. Cada fila: una imagen de entrenamiento y tres variantes aleatorias."
    ),
    "data.none_chosen": (
        "**Datos:** aún no hay ninguno elegido; elige uno en la pestaña **1 · Datos** (el ejemplo sirve)."
    ),
    "data.line": "**Datos:** {name}: {classes} clases, {images} imágenes.",
    "data.expired": "el conjunto de datos subido ya no está en el servidor; súbelo de nuevo",
    "data.no_folders": (
        "el navegador envió los archivos sin sus carpetas, así que no se conocen las clases; sube la carpeta como .zip"
    ),
    "data.not_stored": "no se pudo guardar la carpeta subida ({reason})",
    "data.example_name": "Fashion-MNIST mini (ejemplo)",
    "data.preset_none": "ninguno",
    "data.preset_light": "suave",
    "data.preset_medium": "medio",
    "data.preset_strong": "fuerte",
}
