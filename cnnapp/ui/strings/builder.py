"""'Make your own dataset' on the Data tab."""

from cnnapp.data.builder import MIN_PER_CLASS

EN = {
    "builder.title": "Make your own dataset (camera, uploads, clipboard)",
    "builder.intro": (
        "Add a class for each kind of thing to recognise, pick it, then add pictures: **Snapshot** takes one "
        "from the camera, the camera's **Record** captures a burst (about 4 a second) until you press **Stop**. "
        f"Aim for {MIN_PER_CLASS}+ pictures per class, from different angles and backgrounds."
    ),
    "builder.name": "Dataset name",
    "builder.new_class": "New class",
    "builder.new_class_hint": "e.g. cat",
    "builder.add_class": "Add class",
    "builder.classes": "Classes: pick one to add pictures to it",
    "builder.rename_to": "Rename the chosen class to",
    "builder.rename": "Rename",
    "builder.delete_class": "Delete class",
    "builder.camera_tab": "Camera",
    "builder.camera": "Camera",
    "builder.snapshot": "Snapshot",
    "builder.upload_tab": "Upload",
    "builder.files": "Pictures (several at once)",
    "builder.paste_tab": "Paste",
    "builder.paste": "Paste a picture (copy one, then click the clipboard button)",
    "builder.gallery": "Pictures of the chosen class (newest first); click one to select it",
    "builder.delete_picture": "Delete the selected picture",
    "builder.download": "Download .zip",
    "builder.zip": "Your dataset as a .zip",
    "builder.use": "Use this dataset for training",
    "builder.empty": "No dataset yet: type a class name and press **Add class**.",
    "builder.counts": "**{classes} class(es) · {pictures} picture(s)**",
    "builder.ready": "✓ Enough pictures to train: press **Use this dataset for training**.",
    "builder.no_class": "pick a class first (or add one), then add pictures",
    "builder.no_camera": "the camera is off: press 'Click to Access Webcam' in the camera box first",
    "builder.no_dataset": "there is no dataset yet: add a class and some pictures first",
    "builder.no_picture": "select a picture first by clicking it",
    "builder.bad_snapshot": "the snapshot could not be read; try again",
}
ES = {
    "builder.title": "Crea tu propio conjunto de datos (cámara, archivos, portapapeles)",
    "builder.intro": (
        "Añade una clase por cada cosa que quieras reconocer, elígela y añade imágenes: **Foto** toma una con "
        "la cámara; el botón **Grabar** de la cámara captura una ráfaga (unas 4 por segundo) hasta que pulses "
        f"**Detener**. Intenta tener {MIN_PER_CLASS} o más imágenes por clase, desde distintos ángulos y fondos."
    ),
    "builder.name": "Nombre del conjunto de datos",
    "builder.new_class": "Nueva clase",
    "builder.new_class_hint": "p. ej. gato",
    "builder.add_class": "Añadir clase",
    "builder.classes": "Clases: elige una para añadirle imágenes",
    "builder.rename_to": "Cambiar el nombre de la clase elegida a",
    "builder.rename": "Cambiar nombre",
    "builder.delete_class": "Borrar clase",
    "builder.camera_tab": "Cámara",
    "builder.camera": "Cámara",
    "builder.snapshot": "Foto",
    "builder.upload_tab": "Subir",
    "builder.files": "Imágenes (varias a la vez)",
    "builder.paste_tab": "Pegar",
    "builder.paste": "Pega una imagen (cópiala y pulsa el botón del portapapeles)",
    "builder.gallery": "Imágenes de la clase elegida (las más nuevas primero); pulsa una para seleccionarla",
    "builder.delete_picture": "Borrar la imagen seleccionada",
    "builder.download": "Descargar .zip",
    "builder.zip": "Tu conjunto de datos como .zip",
    "builder.use": "Usar este conjunto de datos para entrenar",
    "builder.empty": "Aún no hay conjunto de datos: escribe el nombre de una clase y pulsa **Añadir clase**.",
    "builder.counts": "**{classes} clase(s) · {pictures} imagen(es)**",
    "builder.ready": "✓ Hay imágenes suficientes para entrenar: pulsa **Usar este conjunto de datos para entrenar**.",
    "builder.no_class": "elige antes una clase (o añade una) y luego añade imágenes",
    "builder.no_camera": "la cámara está apagada: pulsa antes «Click to Access Webcam» en el recuadro de la cámara",
    "builder.no_dataset": "aún no hay conjunto de datos: añade antes una clase y algunas imágenes",
    "builder.no_picture": "selecciona antes una imagen pulsándola",
    "builder.bad_snapshot": "no se pudo leer la foto; inténtalo de nuevo",
}
