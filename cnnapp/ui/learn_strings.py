"""Every user-visible string of the Learn tab, keyed by language: "en" (the default) and "es" (the course's own terms).

Both languages have the same keys (tests check it); a long module because it is text, not code.
"""

from __future__ import annotations

from typing import Any

STRINGS: dict[str, dict[str, Any]] = {
    "en": {
        "title": "Learn",
        "tab_conv": "Convolution",
        "tab_pool": "Pooling",
        "tab_stack": "Stacking",
        "tab_layers": "Flatten, softmax, dropout",
        "tab_arch": "Architectures",
        "tab_loss": "Loss functions",
        "tab_optim": "Optimizers",
        "conv_text": """
**Convolution**: a small matrix of weights, the **kernel** or **filter**, slides over the image; at each position the
products of the overlapping numbers are summed into one number of the **feature map**. **Padding** adds rows and
columns of zeros around the image so the output can keep its size; **stride** is how far the kernel jumps at each
step. The output side is **(W − K + 2P) / S + 1** (rounded down). **ReLU** then keeps max(0, x). In a CNN the kernels
are not chosen by hand: they start random and are learned like any weight. Pick a kernel, or type your own numbers
in the 3×3 table.
""",
        "pool_text": """
**Pooling** (sub-sampling) summarises each window of the feature map in one number, shrinking it before the next
convolution. **Max-pool** keeps the brightest value (good for light strokes on a dark background, like MNIST),
**min-pool** the darkest, **average-pool** the mean (smoother, may blur sharp details). The matrix below is the
course's example: 2×2 windows, stride 2.
""",
        "stack_text": """
**Stacking**: each filter extracts one feature, so a layer applies many filters and stacks their feature maps into a
**volume**: rows × columns × filters. The course's example: a 6×6 input, **8 filters of 3×3**, padding 0, stride 1 →
eight 4×4 maps, a **4 × 4 × 8** volume. The eight filters here are the named kernels of the convolution tab.
""",
        "arch_text": """
**CNN architectures** and the ImageNet challenge (ILSVRC): the course's table (layers, top-5 error, place) next to
what cnnapp computes from the actual models (parameters at 1000 classes). Every one of these can be trained on the
**2 · Train** tab.
""",
        "flatten_text": """
**Flatten**: the fully connected layer at the end of a CNN takes a vector, so the volume of feature maps is laid out
as one long row, channel after channel (`nn.Flatten`). Nothing is learned or lost: C × H × W numbers in, C · H · W out.
""",
        "softmax_text": """
**Softmax** turns the last layer's scores (logits) z into a probability distribution over the classes:
p = exp(zₖ / T) / Σ exp(zⱼ / T). The predicted class is the most probable one. The **temperature** T reshapes the
distribution without changing the order: T < 1 sharpens it towards the top class, T > 1 flattens it towards uniform
(T = 1 is the plain softmax of a trained network).
""",
        "dropout_text": """
**Dropout**: while training, each value of a feature map is set to zero with probability **p**, a new random mask at
every step, so the network cannot rely on any single neuron. The kept values are multiplied by **1 / (1 − p)** so
that the expected sum stays the same (`nn.Dropout`); at evaluation time dropout does nothing.
""",
        "loss_text": """
A **loss function** measures the distance between the true value y and the network's estimate ŷ; training adjusts
the weights to make it small. The **loss** is defined for one example, the **cost** for a collection of examples (here,
as in PyTorch, the mean of the losses over the batch). **MSE** (mean squared error) punishes large errors most,
**MAE** (mean absolute error) all errors alike, **binary cross-entropy** compares a probability with a 0/1 target, and
**categorical cross-entropy** compares a distribution over classes with the true one (here 3 classes: class 1 gets
the probability y or ŷ, the other two share the rest; y = 1 is a one-hot target). All values are computed by
`torch.nn.functional`.
""",
        "race_text": """
An **optimizer** decides how the weights move down the loss at each step, from the gradient and the **learning rate**.
Here each of the course's optimizers moves one point (x, y) down a 2-D surface with `torch.optim` itself — the same
`zero_grad`, `backward`, `step` as for a network — from the same start. **SGD** (stochastic gradient descent) follows
the gradient; **momentum** lets it build up speed; **Adagrad** adapts the rate of each parameter from the sum of its
past squared gradients; **Adadelta** fixes Adagrad's ever-shrinking rate; **RMSprop** uses the magnitude of recent
gradients; **Adam** combines the ideas of Adagrad and RMSprop (a good default); **AdamW** is Adam with decoupled weight
decay; **Adamax** is Adam with the infinity norm. Rosenbrock has a long curved valley, the saddle a flat point where
plain SGD lingers, Beale steep walls.
""",
        "runs_text": """
**The same seven on real training runs**: one click queues seven trainings of the same model on the bundled example
dataset (Fashion-MNIST mini), identical except for the optimizer — same split, seed, learning rate (kept constant, no
scheduler) and epochs. They train one after another in the background and also appear on the **Runs** tab; the curves
below fill in as their epochs finish. cnnapp's SGD uses Nesterov momentum 0.9.
""",
        "kernel": "Kernel (filter)",
        "kernel_numbers": "Kernel numbers (edit for your own)",
        "image": "Image",
        "padding": "Padding (P)",
        "stride": "Stride (S)",
        "relu": "ReLU: max(0, x)",
        "input_gray": "Input (gray)",
        "feature_map": "Feature map",
        "no_image": "Add an image to convolve.",
        "output_size": "Output size",
        "output_height": "Output height",
        "output_width": "Output width",
        "feature_map_size": "feature map",
        "method": "Method",
        "window": "Window (kernel)",
        "input_matrix": "Input matrix (editable)",
        "pooled": "Pooled",
        "pooled_image": "Pooled image",
        "pool_size": "{method}-pool, {k}×{k} windows, stride {s}: side {formula}",
        "methods": {"max": "max", "min": "min", "avg": "average"},
        "stack_input": "Input (6×6, editable)",
        "volume": "Volume",
        "one_map_per_filter": "One feature map per filter",
        "side": "side",
        "filters": "filters",
        "filter": "filter",
        "volume_word": "volume",
        "kernels": {
            "identity": "identity",
            "horizontal edges": "horizontal edges",
            "vertical edges": "vertical edges",
            "sobel x": "Sobel x",
            "sobel y": "Sobel y",
            "sharpen": "sharpen",
            "box blur": "box blur",
            "outline": "outline",
        },
        "architectures": "Architectures",
        "arch_columns": {
            "architecture": "architecture",
            "family": "family",
            "year": "year",
            "depth (layers)": "depth (layers)",
            "params (computed)": "params (computed)",
            "ILSVRC entry (course)": "ILSVRC entry (course)",
            "course layers": "course layers",
            "top-5 error % (course)": "top-5 error % (course)",
            "ILSVRC place (course)": "ILSVRC place (course)",
            "note": "note",
        },
        "channels": "Channels (C)",
        "height": "Height (H)",
        "width": "Width (W)",
        "flatten_plot": "Volume and flattened vector",
        "channel": "channel",
        "vector": "flattened vector",
        "logits": "Scores (logits), separated by commas",
        "temperature": "Temperature (T)",
        "probabilities": "Probabilities",
        "class": "class",
        "probability": "probability",
        "softmax_sum": "sum of probabilities = {total:.4f}; predicted: class {top} ({p:.1%})",
        "dropout_p": "Dropout probability (p)",
        "seed": "Random seed (a new mask)",
        "dropout_plot": "Feature map, mask and result",
        "before": "feature map",
        "mask": "mask (white: kept)",
        "after": "after dropout",
        "dropout_summary": "kept {kept} of {total} values ({share:.0%}; expected {expected:.0%}); "
        "kept values × {scale:.3g}; mean before {before:.3f}, after {after:.3f}",
        "target": "Target (y)",
        "prediction": "Prediction (ŷ)",
        "loss_plot": "Each loss against the prediction",
        "loss_axis": "loss",
        "prediction_axis": "prediction ŷ",
        "target_short": "target",
        "loss_names": {
            "mse": "MSE",
            "mae": "MAE",
            "bce": "Binary cross-entropy",
            "cce": "Categorical cross-entropy",
        },
        "batch_title": "**Loss for one example vs cost over a batch**: edit the batch (target y, prediction ŷ).",
        "batch_input": "Batch (editable)",
        "batch_output": "Loss of each example, and the cost of the batch",
        "example": "example",
        "cost_row": "cost (mean over the batch)",
        "surface": "Surface",
        "start_x": "Start x",
        "start_y": "Start y",
        "steps": "Steps",
        "lrs": "Learning rate of each optimizer (editable)",
        "optimizer": "optimizer",
        "learning_rate": "learning rate",
        "race": "▶ Race",
        "race_plot": "Trajectories and loss per step",
        "race_table": "Where each optimizer ended",
        "loss_above_min": "loss − minimum (log scale)",
        "step": "step",
        "diverged": "diverged",
        "end_x": "x",
        "end_y": "y",
        "end_loss": "loss",
        "yes": "yes",
        "no": "no",
        "model": "Model",
        "presets": {
            "lenet5": "LeNet-5, from scratch (fast)",
            "efficientnet_frozen": "EfficientNet-Lite0, pretrained and frozen",
        },
        "epochs": "Epochs",
        "run_lr": "Learning rate (all seven)",
        "queue": "▶ Queue the 7 runs",
        "refresh": "↻ Refresh",
        "queued": "Queued 7 runs: they train one after another",
        "no_example": "the example dataset is not installed (assets/fashion-mnist-mini)",
        "runs_table": "The seven runs",
        "runs_plot": "Validation accuracy and loss per epoch",
        "run": "run",
        "state": "state",
        "epoch": "epoch",
        "best_val_acc": "best val acc",
        "val_acc_axis": "validation accuracy (%)",
        "val_loss_axis": "validation loss",
        "no_runs": "No optimizer runs yet: press **Queue the 7 runs**.",
        "runner_names": {"SGD + momentum": "SGD + momentum"},
    },
    "es": {
        "title": "Aprender",
        "tab_conv": "Convolución",
        "tab_pool": "Agrupación (pooling)",
        "tab_stack": "Apilar",
        "tab_layers": "Aplanar, softmax, dropout",
        "tab_arch": "Arquitecturas",
        "tab_loss": "Funciones de pérdida",
        "tab_optim": "Optimizadores",
        "conv_text": """
**Convolución**: una pequeña matriz de pesos, el **kernel** o **filtro**, se desliza sobre la imagen; en cada posición
los productos de los números superpuestos se suman en un número del **mapa de características**. El **relleno
(padding)** añade filas y columnas de ceros alrededor de la imagen para que la salida pueda conservar su tamaño; el
**paso (stride)** es cuánto salta el filtro en cada paso. El lado de la salida es **(W − K + 2P) / S + 1** (redondeado
hacia abajo). Después, **ReLU** se queda con max(0, x). En una CNN los filtros no se eligen a mano: empiezan al azar y
se aprenden como cualquier peso. Elige un filtro o escribe tus propios números en la tabla 3×3.
""",
        "pool_text": """
La **agrupación (pooling)** o submuestreo resume cada ventana del mapa de características en un número y lo reduce
antes de la siguiente convolución. El **máximo** conserva el valor más brillante (bueno para trazos claros sobre
fondo oscuro, como MNIST), el **mínimo** el más oscuro y el **promedio** la media (más suave, puede difuminar detalles
finos). La matriz de abajo es el ejemplo del curso: ventanas de 2×2, paso 2.
""",
        "stack_text": """
**Apilar**: cada filtro extrae una característica, así que una capa aplica muchos filtros y apila sus mapas de
características en un **volumen**: filas × columnas × filtros. El ejemplo del curso: una entrada de 6×6, **8 filtros
de 3×3**, relleno 0, paso 1 → ocho mapas de 4×4, un volumen de **4 × 4 × 8**. Los ocho filtros son los filtros con
nombre de la pestaña de convolución.
""",
        "arch_text": """
**Arquitecturas de CNN** y el reto ImageNet (ILSVRC): la tabla del curso (capas, error top-5, puesto) junto a lo que
cnnapp calcula de los modelos reales (parámetros con 1000 clases). Todas ellas se pueden entrenar en la pestaña de
entrenamiento.
""",
        "flatten_text": """
**Aplanar (flatten)**: la capa totalmente conectada del final de una CNN recibe un vector, así que el volumen de mapas
de características se dispone en una sola fila, un canal tras otro (`nn.Flatten`). No se aprende ni se pierde nada:
entran C × H × W números y salen C · H · W.
""",
        "softmax_text": """
La **función softmax** convierte las puntuaciones (logits) z de la última capa en una distribución de probabilidad
sobre las clases: p = exp(zₖ / T) / Σ exp(zⱼ / T). La clase predicha es la de mayor probabilidad. La **temperatura** T
cambia la forma de la distribución sin cambiar el orden: T < 1 la concentra en la clase más probable, T > 1 la acerca
a la uniforme (T = 1 es la softmax normal de una red entrenada).
""",
        "dropout_text": """
**Dropout**: durante el entrenamiento, cada valor de un mapa de características se pone a cero con probabilidad **p**,
con una máscara aleatoria nueva en cada paso, de modo que la red no puede depender de una sola neurona. Los valores
que se conservan se multiplican por **1 / (1 − p)** para que la suma esperada no cambie (`nn.Dropout`); al evaluar,
el dropout no hace nada.
""",
        "loss_text": """
Una **función de pérdida** mide la distancia entre el valor real y y el estimado por la red ŷ; el entrenamiento ajusta
los pesos para que sea pequeña. La **pérdida (loss)** se define para un ejemplo concreto y el **coste (cost)** para una
colección de ejemplos (aquí, como en PyTorch, la media de las pérdidas del lote). El **MSE** (error cuadrático medio)
castiga sobre todo los errores grandes, el **MAE** (error absoluto medio) todos por igual, la **entropía cruzada
binaria** compara una probabilidad con un objetivo 0/1 y la **entropía cruzada categórica** compara una distribución
sobre clases con la real (aquí 3 clases: la clase 1 recibe la probabilidad y o ŷ y las otras dos se reparten el resto;
y = 1 es un objetivo one-hot). Todos los valores los calcula `torch.nn.functional`.
""",
        "race_text": """
Un **optimizador** decide cómo se mueven los pesos cuesta abajo en cada paso, a partir del gradiente y de la **tasa de
aprendizaje**. Aquí cada optimizador del curso mueve un punto (x, y) por una superficie 2-D con el propio
`torch.optim` — los mismos `zero_grad`, `backward`, `step` que con una red — desde el mismo inicio. El **SGD**
(descenso de gradiente estocástico) sigue el gradiente; el **momento** le deja acumular velocidad; **Adagrad** adapta
la tasa de cada parámetro con la suma de sus gradientes cuadráticos anteriores; **Adadelta** resuelve la reducción sin
fin de la tasa de Adagrad; **RMSprop** usa la magnitud de los gradientes recientes; **Adam** combina las ventajas de
AdaGrad y RMSProp (una buena elección por defecto); **AdamW** es Adam con el decaimiento de pesos desacoplado;
**Adamax** es Adam con la norma infinito. Rosenbrock tiene un valle largo y curvo, la silla un punto plano donde el SGD
sin momento se entretiene, Beale paredes muy empinadas.
""",
        "runs_text": """
**Los mismos siete en entrenamientos reales**: un clic pone en cola siete entrenamientos del mismo modelo con el
conjunto de ejemplo incluido (Fashion-MNIST mini), idénticos salvo por el optimizador: misma partición, semilla, tasa
de aprendizaje (constante, sin planificador) y épocas. Se entrenan uno tras otro en segundo plano y aparecen también en
la pestaña de ejecuciones; las curvas se completan a medida que terminan sus épocas. El SGD de cnnapp usa momento de
Nesterov 0,9.
""",
        "kernel": "Filtro (kernel)",
        "kernel_numbers": "Números del filtro (edítalos para hacer el tuyo)",
        "image": "Imagen",
        "padding": "Relleno (P)",
        "stride": "Paso (S)",
        "relu": "ReLU: max(0, x)",
        "input_gray": "Entrada (gris)",
        "feature_map": "Mapa de características",
        "no_image": "Añade una imagen para la convolución.",
        "output_size": "Tamaño de salida",
        "output_height": "Alto de salida",
        "output_width": "Ancho de salida",
        "feature_map_size": "mapa de características",
        "method": "Método",
        "window": "Ventana (kernel)",
        "input_matrix": "Matriz de entrada (editable)",
        "pooled": "Tras la agrupación",
        "pooled_image": "Imagen tras la agrupación",
        "pool_size": "agrupación por {method}, ventanas de {k}×{k}, paso {s}: lado {formula}",
        "methods": {"max": "máximo", "min": "mínimo", "avg": "promedio"},
        "stack_input": "Entrada (6×6, editable)",
        "volume": "Volumen",
        "one_map_per_filter": "Un mapa de características por filtro",
        "side": "lado",
        "filters": "filtros",
        "filter": "filtro",
        "volume_word": "volumen",
        "kernels": {
            "identity": "identidad",
            "horizontal edges": "bordes horizontales",
            "vertical edges": "bordes verticales",
            "sobel x": "Sobel x",
            "sobel y": "Sobel y",
            "sharpen": "enfocar",
            "box blur": "desenfoque de caja",
            "outline": "contorno",
        },
        "architectures": "Arquitecturas",
        "arch_columns": {
            "architecture": "arquitectura",
            "family": "familia",
            "year": "año",
            "depth (layers)": "profundidad (capas)",
            "params (computed)": "parámetros (calculados)",
            "ILSVRC entry (course)": "participación ILSVRC (curso)",
            "course layers": "capas (curso)",
            "top-5 error % (course)": "error top-5 % (curso)",
            "ILSVRC place (course)": "puesto ILSVRC (curso)",
            "note": "nota",
        },
        "channels": "Canales (C)",
        "height": "Alto (H)",
        "width": "Ancho (W)",
        "flatten_plot": "Volumen y vector aplanado",
        "channel": "canal",
        "vector": "vector aplanado",
        "logits": "Puntuaciones (logits), separadas por comas",
        "temperature": "Temperatura (T)",
        "probabilities": "Probabilidades",
        "class": "clase",
        "probability": "probabilidad",
        "softmax_sum": "suma de probabilidades = {total:.4f}; predicción: clase {top} ({p:.1%})",
        "dropout_p": "Probabilidad de dropout (p)",
        "seed": "Semilla aleatoria (otra máscara)",
        "dropout_plot": "Mapa de características, máscara y resultado",
        "before": "mapa de características",
        "mask": "máscara (blanco: se conserva)",
        "after": "tras el dropout",
        "dropout_summary": "se conservan {kept} de {total} valores ({share:.0%}; se esperaba {expected:.0%}); los "
        "conservados × {scale:.3g}; media antes {before:.3f}, después {after:.3f}",
        "target": "Valor real (y)",
        "prediction": "Predicción (ŷ)",
        "loss_plot": "Cada función de pérdida frente a la predicción",
        "loss_axis": "pérdida",
        "prediction_axis": "predicción ŷ",
        "target_short": "valor real",
        "loss_names": {
            "mse": "MSE",
            "mae": "MAE",
            "bce": "Entropía cruzada binaria",
            "cce": "Entropía cruzada categórica",
        },
        "batch_title": "**Pérdida de un ejemplo frente al coste de un lote**: "
        "edita el lote (valor real y, predicción ŷ).",
        "batch_input": "Lote (editable)",
        "batch_output": "Pérdida de cada ejemplo y coste del lote",
        "example": "ejemplo",
        "cost_row": "coste (media del lote)",
        "surface": "Superficie",
        "start_x": "Inicio x",
        "start_y": "Inicio y",
        "steps": "Pasos",
        "lrs": "Tasa de aprendizaje de cada optimizador (editable)",
        "optimizer": "optimizador",
        "learning_rate": "tasa de aprendizaje",
        "race": "▶ Carrera",
        "race_plot": "Trayectorias y pérdida en cada paso",
        "race_table": "Dónde terminó cada optimizador",
        "loss_above_min": "pérdida − mínimo (escala log.)",
        "step": "paso",
        "diverged": "divergió",
        "end_x": "x",
        "end_y": "y",
        "end_loss": "pérdida",
        "yes": "sí",
        "no": "no",
        "model": "Modelo",
        "presets": {
            "lenet5": "LeNet-5, desde 0 (rápido)",
            "efficientnet_frozen": "EfficientNet-Lite0, preentrenado y congelado",
        },
        "epochs": "Épocas",
        "run_lr": "Tasa de aprendizaje (los siete)",
        "queue": "▶ Poner en cola los 7 entrenamientos",
        "refresh": "↻ Actualizar",
        "queued": "7 entrenamientos en cola: se entrenan uno tras otro",
        "no_example": "el conjunto de ejemplo no está instalado (assets/fashion-mnist-mini)",
        "runs_table": "Los siete entrenamientos",
        "runs_plot": "Exactitud y pérdida de validación por época",
        "run": "ejecución",
        "state": "estado",
        "epoch": "época",
        "best_val_acc": "mejor exactitud val.",
        "val_acc_axis": "exactitud de validación (%)",
        "val_loss_axis": "pérdida de validación",
        "no_runs": "Aún no hay entrenamientos de optimizadores: pulsa **Poner en cola los 7 entrenamientos**.",
        "runner_names": {"SGD + momentum": "SGD + momento"},
    },
}
