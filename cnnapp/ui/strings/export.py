"""Text of the Export tab."""

EN = {
    "export.title": "Export",
    "export.format_onnx": "ONNX (model.onnx)",
    "export.format_safetensors": "Model folder (.zip: safetensors weights, config.json, model card)",
    "export.no_runs": "No trained model yet: train one on the **Train** tab, then export it here.",
    "export.no_run": "no run chosen: train a model first, then pick it in the list",
    "export.onnx_ready": "✓ **{file}** is ready below. Input `input`: float32 `[batch, 3, {size}, {size}]`, "
    "normalised with the run's mean/std; output `probabilities` (softmax). The labels and preprocessing are in the "
    "file's metadata. Classes: {classes}.",
    "export.zip_ready": "✓ **{file}** is ready below: `model.safetensors`, `config.json` and a model card "
    '`README.md`. Unzip it and load it with `timm.create_model("local-dir:FOLDER", pretrained=True)` (timm '
    'architectures) or `cnnapp.serving.export.load_exported("FOLDER")`. Classes: {classes}.',
    "export.uploaded": "✓ Uploaded to [{repo}]({url}).",
    "export.intro": "Take a trained model away: **ONNX** for onnxruntime and other runtimes, or a **model folder** "
    "that timm and cnnapp load and that the Hugging Face Hub shows with a model card.",
    "export.run": "Trained model",
    "export.run_info": "runs with saved weights",
    "export.format": "Format",
    "export.export": "⬇ Export",
    "export.choose": "Choose a format and press **Export**.",
    "export.download": "Download",
    "export.hub": "Push to the Hugging Face Hub",
    "export.hub_text": "Creates the model repository if needed and uploads the model folder. Needs an access token "
    "with **write** permission (huggingface.co → Settings → Access Tokens); it is used for this upload only and not "
    "stored.",
    "export.repo": "Repository",
    "export.token": "Access token",
    "export.private": "Private",
    "export.push": "⬆ Push to the Hub",
    # int8 ONNX
    "export.int8": "int8 (for phones)",
    "export.int8_info": "ONNX only: a quantised model about 4× smaller; its agreement with fp32 is measured",
    "export.int8_ready": "✓ **{file}** (int8, {size}) is ready below: {ratio:.1f}× smaller than fp32 ({fp32}); "
    "{agreement} Same input and output as the fp32 ONNX. Classes: {classes}.",
    "export.int8_agreement": "it gives the same top-1 class as fp32 on {agreement:.1%} of the run's {images} "
    "validation images.",
    "export.int8_no_val": "the run has no validation images to compare it with fp32 on.",
}
ES = {
    "export.title": "Exportar",
    "export.format_onnx": "ONNX (model.onnx)",
    "export.format_safetensors": "Carpeta del modelo (.zip: pesos safetensors, config.json, ficha del modelo)",
    "export.no_runs": "Aún no hay ningún modelo entrenado: entrena uno en la pestaña de entrenamiento y "
    "expórtalo aquí.",
    "export.no_run": "no hay ningún entrenamiento elegido: entrena primero un modelo y elígelo en la lista",
    "export.onnx_ready": "✓ **{file}** está listo abajo. Entrada `input`: float32 `[batch, 3, {size}, {size}]`, "
    "normalizada con la media y la desviación típica del entrenamiento; salida `probabilities` (softmax). Las "
    "etiquetas y el preprocesamiento están en los metadatos del archivo. Clases: {classes}.",
    "export.zip_ready": "✓ **{file}** está listo abajo: `model.safetensors`, `config.json` y una ficha del modelo "
    '`README.md`. Descomprímelo y cárgalo con `timm.create_model("local-dir:FOLDER", pretrained=True)` '
    '(arquitecturas de timm) o con `cnnapp.serving.export.load_exported("FOLDER")`. Clases: {classes}.',
    "export.uploaded": "✓ Subido a [{repo}]({url}).",
    "export.intro": "Llévate un modelo entrenado: **ONNX** para onnxruntime y otros entornos de ejecución, o una "
    "**carpeta del modelo** que cargan timm y cnnapp y que el Hugging Face Hub muestra con su ficha.",
    "export.run": "Modelo entrenado",
    "export.run_info": "entrenamientos con pesos guardados",
    "export.format": "Formato",
    "export.export": "⬇ Exportar",
    "export.choose": "Elige un formato y pulsa **Exportar**.",
    "export.download": "Descargar",
    "export.hub": "Subir al Hugging Face Hub",
    "export.hub_text": "Crea el repositorio del modelo si hace falta y sube la carpeta del modelo. Necesita un token "
    "de acceso con permiso de **escritura** (huggingface.co → Settings → Access Tokens); solo se usa para esta "
    "subida y no se guarda.",
    "export.repo": "Repositorio",
    "export.token": "Token de acceso",
    "export.private": "Privado",
    "export.push": "⬆ Subir al Hub",
    # ONNX int8
    "export.int8": "int8 (para móviles)",
    "export.int8_info": "solo ONNX: un modelo cuantizado unas 4 veces más pequeño; se mide su acuerdo con fp32",
    "export.int8_ready": "✓ **{file}** (int8, {size}) está listo abajo: {ratio:.1f} veces más pequeño que fp32 "
    "({fp32}); {agreement} Misma entrada y salida que el ONNX fp32. Clases: {classes}.",
    "export.int8_agreement": "da la misma clase top-1 que fp32 en el {agreement:.1%} de las {images} imágenes de "
    "validación del entrenamiento.",
    "export.int8_no_val": "el entrenamiento no tiene imágenes de validación con las que compararlo con fp32.",
}
