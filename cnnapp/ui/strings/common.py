"""Text shared by every tab: the header, the language switch, run states, progress and curves."""

EN = {
    "common.header": (
        "# cnnapp · train and use image classifiers on your CPU\n"
        "Pick a folder of labelled images (or the example), train a CNN in about a minute, then classify new\n"
        "pictures. **1 · Data** → **2 · Train** → **3 · Predict** → **4 · Runs** keeps every model you trained."
    ),
    "common.language": "Language",
    "common.complete": "Complete",  # gradio's own English table lacks it: its progress tracker showed the raw key
    "common.download_all": "Download All",  # gradio's own (galleries), which it lacks in Spanish
    "common.progress": "Progress",  # gradio's own (a progress bar without a description), idem
    "common.next_start": "Next **Start** trains **{arch}** on **{data}**.",
    "common.no_dataset_yet": "no dataset chosen yet",
    # run states, as badges and in run lists
    "common.state_queued": "queued",
    "common.state_ingesting": "ingesting",
    "common.state_running": "running",
    "common.state_completed": "completed",
    "common.state_failed": "failed",
    "common.state_cancelled": "cancelled",
    "common.state_interrupted": "interrupted",
    "common.state_damaged": "damaged",
    "common.state_stopping": "stopping…",
    "common.state_unknown": "unknown",
    # progress under a run
    "common.finished_epochs": "finished {epochs} epoch(s)",
    "common.epoch_batch": "epoch {epoch}/{epochs} · batch {batch}/{batches}",
    "common.time_left": " · about {left} left",
    "common.waiting_for_batch": " · waiting (no batch for a while)",
    # training curves
    "common.loss": "Loss",
    "common.accuracy": "Accuracy",
    "common.loss_axis": "loss",
    "common.accuracy_axis": "accuracy (%)",
    "common.epoch_axis": "epoch",
    "common.split_train": "train",
    "common.split_validation": "validation",
    "common.yes": "yes",
    "common.no": "no",
    "common.bad_input": "Could not read this request: a value is not of the kind this page sends. Reload the page.",
    "common.value_used": "{field}: {given} cannot be used (from {low} to {high}); {used} is used instead",
}
ES = {
    "common.header": (
        "# cnnapp · entrena y usa clasificadores de imágenes en tu CPU\n"
        "Elige una carpeta de imágenes etiquetadas (o el ejemplo), entrena una CNN en un minuto más o menos y\n"
        "luego clasifica imágenes nuevas. **1 · Datos** → **2 · Entrenar** → **3 · Predecir** → **4 · Ejecuciones** "
        "guarda cada modelo que entrenes."
    ),
    "common.language": "Idioma",
    "common.complete": "Completado",
    "common.download_all": "Descargar todo",
    "common.progress": "Progreso",
    "common.next_start": "Al pulsar **Iniciar** se entrena **{arch}** con **{data}**.",
    "common.no_dataset_yet": "aún no hay conjunto de datos elegido",
    "common.state_queued": "en cola",
    "common.state_ingesting": "leyendo datos",
    "common.state_running": "en curso",
    "common.state_completed": "completado",
    "common.state_failed": "fallido",
    "common.state_cancelled": "cancelado",
    "common.state_interrupted": "interrumpido",
    "common.state_damaged": "dañado",
    "common.state_stopping": "deteniendo…",
    "common.state_unknown": "desconocido",
    "common.finished_epochs": "{epochs} época(s) terminada(s)",
    "common.epoch_batch": "época {epoch}/{epochs} · lote {batch}/{batches}",
    "common.time_left": " · faltan unos {left}",
    "common.waiting_for_batch": " · esperando (ningún lote desde hace un rato)",
    "common.loss": "Pérdida",
    "common.accuracy": "Exactitud",
    "common.loss_axis": "pérdida",
    "common.accuracy_axis": "exactitud (%)",
    "common.epoch_axis": "época",
    "common.split_train": "entrenamiento",
    "common.split_validation": "validación",
    "common.yes": "sí",
    "common.no": "no",
    "common.bad_input": (
        "No se pudo leer esta petición: un valor no es del tipo que envía esta página. Recarga la página."
    ),
    "common.value_used": "{field}: {given} no se puede usar (de {low} a {high}); se usa {used}",
}
