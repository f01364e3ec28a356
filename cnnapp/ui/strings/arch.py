"""What each architecture of the course is, as its card says it, by the architecture's registry name.

English is `cnnapp.models.registry`'s description, word for word (a test keeps them equal); an architecture without
a row here (any other timm name) shows the registry's English.
"""

EN = {
    "arch.lenet5": "LeNet-5: two conv + pool stages and three fully connected layers",
    "arch.alexnet": "AlexNet: ReLU, dropout and GPUs; ILSVRC 2012 winner",
    "arch.vgg16": "VGG-16: 13 conv layers of 3×3 kernels + 3 fully connected",
    "arch.vgg19": "VGG-19: 16 conv layers of 3×3 kernels + 3 fully connected",
    "arch.googlenet": "GoogLeNet (Inception v1): parallel 1×1/3×3/5×5 branches",
    "arch.resnet18": "ResNet-18: residual (skip) connections",
    "arch.resnet50": "ResNet-50: bottleneck residual blocks",
    "arch.resnet152": "ResNet-152: the ILSVRC 2015 winner's depth",
    "arch.densenet121": "DenseNet-121: every layer feeds all later layers in its block",
    "arch.tf_efficientnet_lite0": "EfficientNet-Lite0: mobile-friendly, ImageNet weights bundled offline",
    "arch.efficientnet_b0": "EfficientNet-B0: compound-scaled MBConv network",
    "arch.mobilenetv3_large_100": "MobileNetV3-Large: searched for phones",
    "arch.convnext_tiny": "ConvNeXt-Tiny: a CNN modernised with transformer design choices",
    "arch.speednet": "SpeedNet: five BatchNorm + ReLU convolutions tuned to train fast",
}
ES = {
    "arch.lenet5": "LeNet-5: dos etapas de convolución + agrupación (pooling) y tres capas totalmente conectadas",
    "arch.alexnet": "AlexNet: ReLU, dropout y GPU; ganadora de ILSVRC 2012",
    "arch.vgg16": "VGG-16: 13 capas convolucionales con kernels de 3×3 + 3 totalmente conectadas",
    "arch.vgg19": "VGG-19: 16 capas convolucionales con kernels de 3×3 + 3 totalmente conectadas",
    "arch.googlenet": "GoogLeNet (Inception v1): ramas paralelas de 1×1, 3×3 y 5×5",
    "arch.resnet18": "ResNet-18: conexiones residuales (atajos)",
    "arch.resnet50": "ResNet-50: bloques residuales con cuello de botella",
    "arch.resnet152": "ResNet-152: la profundidad de la ganadora de ILSVRC 2015",
    "arch.densenet121": "DenseNet-121: cada capa alimenta a todas las capas siguientes de su bloque",
    "arch.tf_efficientnet_lite0": (
        "EfficientNet-Lite0: pensada para móviles, con pesos de ImageNet incluidos sin conexión"
    ),
    "arch.efficientnet_b0": "EfficientNet-B0: red MBConv con escalado compuesto",
    "arch.mobilenetv3_large_100": "MobileNetV3-Large: diseñada por búsqueda automática para teléfonos",
    "arch.convnext_tiny": "ConvNeXt-Tiny: una CNN modernizada con decisiones de diseño de los transformers",
    "arch.speednet": "SpeedNet: cinco convoluciones con BatchNorm + ReLU, afinadas para entrenar rápido",
}
