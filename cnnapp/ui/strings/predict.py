"""Text of the Predict tab and its live camera panel."""

EN = {
    "predict.title": "3 · Predict",
    "predict.no_picture": "No picture to classify yet: drop, upload or paste one (or click an example below it).",
    "predict.imagenet_choice": "ImageNet classifier · {name} (1000 classes, no training)",
    "predict.examples": "Examples (Fashion-MNIST)",
    "predict.picture": "Picture: drop, upload, webcam or paste",
    "predict.model": "Model",
    "predict.model_info": "a run you trained, or a pretrained ImageNet classifier",
    "predict.top_k": "Show the top …",
    "predict.classify": "Classify",
    "predict.prediction": "Prediction",
    "predict.live_title": "Live camera: classify continuously",
    "predict.live_intro": "Press **Click to Access Webcam**, then **Record**: the bars follow the camera "
    "(model chosen above).",
    "predict.live_camera": "Camera",
    "predict.live_label": "Live prediction",
}
ES = {
    "predict.title": "3 · Predecir",
    "predict.no_picture": "Aún no hay ninguna imagen que clasificar: arrastra, sube o pega una "
    "(o haz clic en un ejemplo debajo).",
    "predict.imagenet_choice": "Clasificador de ImageNet · {name} (1000 clases, sin entrenar)",
    "predict.examples": "Ejemplos (Fashion-MNIST)",
    "predict.picture": "Imagen: arrastra, sube, usa la cámara o pega",
    "predict.model": "Modelo",
    "predict.model_info": "un entrenamiento tuyo o un clasificador de ImageNet preentrenado",
    "predict.top_k": "Mostrar las … más probables",
    "predict.classify": "Clasificar",
    "predict.prediction": "Predicción",
    "predict.live_title": "Cámara en vivo: clasificar de forma continua",
    "predict.live_intro": "Pulsa **Click to Access Webcam** (el botón de la cámara) y luego **Grabar**: las barras "
    "siguen a la cámara (con el modelo elegido arriba).",
    "predict.live_camera": "Cámara",
    "predict.live_label": "Predicción en vivo",
}
