"""Text of the Explain tab."""

EN = {
    "explain.title": "Explain",
    "explain.low": "low",
    "explain.high": "high: where the model looked",
    "explain.predicted": "(the predicted class)",
    "explain.intro": """
**Grad-CAM** colours the parts of a picture that pushed the model towards a class (red: strong evidence), using the
gradients of that class's score at the last convolutional layer. **Feature maps** are what the layers output:
early layers respond to lines and edges, middle ones to shapes, late ones to object parts, as in the visual cortex
V1 → V2 → V4 → IT.
""",
    "explain.no_image": "Add a picture (or click an example) to see where the model looks.",
    "explain.caption": "Grad-CAM of **{label}** (probability {prob}) at layer `{layer}`, on the picture as the model "
    "sees it ({size}×{size} px).",
    "explain.picture": "Picture",
    "explain.model": "Model",
    "explain.model_info": "a run you trained, or a pretrained ImageNet classifier",
    "explain.class": "Explain the class",
    "explain.heatmap": "Picture · Grad-CAM",
    "explain.maps_title": "### Feature maps, early → late layers",
    "explain.layers": "Layers",
    "explain.layers_info": "the stem and the last block at each resolution",
    "explain.maps": "Strongest activation maps of each layer",
}
ES = {
    "explain.title": "Explicar",
    "explain.low": "baja",
    "explain.high": "alta: donde miró el modelo",
    "explain.predicted": "(la clase predicha)",
    "explain.intro": """
**Grad-CAM** colorea las partes de una imagen que llevaron al modelo hacia una clase (rojo: evidencia fuerte), con
los gradientes de la puntuación de esa clase en la última capa de convolución. Los **mapas de características** son
lo que devuelven las capas: las primeras capas responden a líneas y bordes, las intermedias a formas y las últimas a
partes de objetos, como en la corteza visual V1 → V2 → V4 → IT.
""",
    "explain.no_image": "Añade una imagen (o haz clic en un ejemplo) para ver dónde mira el modelo.",
    "explain.caption": "Grad-CAM de **{label}** (probabilidad {prob}) en la capa `{layer}`, sobre la imagen tal como "
    "la ve el modelo ({size}×{size} px).",
    "explain.picture": "Imagen",
    "explain.model": "Modelo",
    "explain.model_info": "un entrenamiento tuyo o un clasificador de ImageNet preentrenado",
    "explain.class": "Clase que explicar",
    "explain.heatmap": "Imagen · Grad-CAM",
    "explain.maps_title": "### Mapas de características, de las primeras a las últimas capas",
    "explain.layers": "Capas",
    "explain.layers_info": "la capa inicial (stem) y el último bloque de cada resolución",
    "explain.maps": "Mapas de activación más fuertes de cada capa",
}
