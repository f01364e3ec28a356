"""Text of the Learn tab (Tema 8, Redes Convolucionales); the Spanish uses the course's own terms."""

EN = {
    "learn.title": "Learn",
    "learn.tab_conv": "Convolution",
    "learn.tab_pool": "Pooling",
    "learn.tab_stack": "Stacking",
    "learn.tab_layers": "Flatten, softmax, dropout",
    "learn.tab_arch": "Architectures",
    "learn.tab_loss": "Loss functions",
    "learn.tab_optim": "Optimizers",
    "learn.conv_text": """
**Convolution**: a small matrix of weights, the **kernel** or **filter**, slides over the image; at each position the
products of the overlapping numbers are summed into one number of the **feature map**. **Padding** adds rows and
columns of zeros around the image so the output can keep its size; **stride** is how far the kernel jumps at each
step. The output side is **(W − K + 2P) / S + 1** (rounded down). **ReLU** then keeps max(0, x). In a CNN the kernels
are not chosen by hand: they start random and are learned like any weight. Pick a kernel, or type your own numbers
in the 3×3 table.
""",
    "learn.pool_text": """
**Pooling** (sub-sampling) summarises each window of the feature map in one number, shrinking it before the next
convolution. **Max-pool** keeps the brightest value (good for light strokes on a dark background, like MNIST),
**min-pool** the darkest, **average-pool** the mean (smoother, may blur sharp details). The matrix below is the
course's example: 2×2 windows, stride 2.
""",
    "learn.stack_text": """
**Stacking**: each filter extracts one feature, so a layer applies many filters and stacks their feature maps into a
**volume**: rows × columns × filters. The course's example: a 6×6 input, **8 filters of 3×3**, padding 0, stride 1 →
eight 4×4 maps, a **4 × 4 × 8** volume. The eight filters here are the named kernels of the convolution tab.
""",
    "learn.arch_text": """
**CNN architectures** and the ImageNet challenge (ILSVRC): the course's table (layers, top-5 error, place) next to
what cnnapp computes from the actual models (parameters at 1000 classes). Every one of these can be trained on the
**2 · Train** tab.
""",
    "learn.flatten_text": """
**Flatten**: the fully connected layer at the end of a CNN takes a vector, so the volume of feature maps is laid out
as one long row, channel after channel (`nn.Flatten`). Nothing is learned or lost: C × H × W numbers in, C · H · W out.
""",
    "learn.softmax_text": """
**Softmax** turns the last layer's scores (logits) z into a probability distribution over the classes:
p = exp(zₖ / T) / Σ exp(zⱼ / T). The predicted class is the most probable one. The **temperature** T reshapes the
distribution without changing the order: T < 1 sharpens it towards the top class, T > 1 flattens it towards uniform
(T = 1 is the plain softmax of a trained network).
""",
    "learn.dropout_text": """
**Dropout**: while training, each value of a feature map is set to zero with probability **p**, a new random mask at
every step, so the network cannot rely on any single neuron. The kept values are multiplied by **1 / (1 − p)** so
that the expected sum stays the same (`nn.Dropout`); at evaluation time dropout does nothing.
""",
    "learn.loss_text": """
A **loss function** measures the distance between the true value y and the network's estimate ŷ; training adjusts
the weights to make it small. The **loss** is defined for one example, the **cost** for a collection of examples (here,
as in PyTorch, the mean of the losses over the batch). **MSE** (mean squared error) punishes large errors most,
**MAE** (mean absolute error) all errors alike, **binary cross-entropy** compares a probability with a 0/1 target, and
**categorical cross-entropy** compares a distribution over classes with the true one (here 3 classes: class 1 gets
the probability y or ŷ, the other two share the rest; y = 1 is a one-hot target). All values are computed by
`torch.nn.functional`.
""",
    "learn.race_text": """
An **optimizer** decides how the weights move down the loss at each step, from the gradient and the **learning rate**.
Here each of the course's optimizers moves one point (x, y) down a 2-D surface with `torch.optim` itself — the same
`zero_grad`, `backward`, `step` as for a network — from the same start. **SGD** (stochastic gradient descent) follows
the gradient; **momentum** lets it build up speed; **Adagrad** adapts the rate of each parameter from the sum of its
past squared gradients; **Adadelta** fixes Adagrad's ever-shrinking rate; **RMSprop** uses the magnitude of recent
gradients; **Adam** combines the ideas of Adagrad and RMSprop (a good default); **AdamW** is Adam with decoupled weight
decay; **Adamax** is Adam with the infinity norm. Rosenbrock has a long curved valley, the saddle a flat point where
plain SGD lingers, Beale steep walls.
""",
    "learn.runs_text": """
**The same seven on real training runs**: one click queues seven trainings of the same model on the bundled example
dataset (Fashion-MNIST mini), identical except for the optimizer — same split, seed, learning rate (kept constant, no
scheduler) and epochs. They train one after another in the background and also appear on the **Runs** tab; the curves
below fill in as their epochs finish. cnnapp's SGD uses Nesterov momentum 0.9.
""",
    "learn.kernel": "Kernel (filter)",
    "learn.kernel_numbers": "Kernel numbers (edit for your own)",
    "learn.image": "Image",
    "learn.padding": "Padding (P)",
    "learn.stride": "Stride (S)",
    "learn.relu": "ReLU: max(0, x)",
    "learn.input_gray": "Input (gray)",
    "learn.feature_map": "Feature map",
    "learn.no_image": "Add an image to convolve.",
    "learn.output_size": "Output size",
    "learn.output_height": "Output height",
    "learn.output_width": "Output width",
    "learn.feature_map_size": "feature map",
    "learn.method": "Method",
    "learn.window": "Window (kernel)",
    "learn.input_matrix": "Input matrix (editable)",
    "learn.pooled": "Pooled",
    "learn.pooled_image": "Pooled image",
    "learn.pool_size": "{method}-pool, {k}×{k} windows, stride {s}: side {formula}",
    "learn.stack_input": "Input (6×6, editable)",
    "learn.volume": "Volume",
    "learn.one_map_per_filter": "One feature map per filter",
    "learn.side": "side",
    "learn.filters": "filters",
    "learn.filter": "filter",
    "learn.volume_word": "volume",
    "learn.rows": "rows",
    "learn.columns": "columns",
    "learn.architectures": "Architectures",
    "learn.channels": "Channels (C)",
    "learn.height": "Height (H)",
    "learn.width": "Width (W)",
    "learn.flatten_plot": "Volume and flattened vector",
    "learn.channel": "channel",
    "learn.vector": "flattened vector",
    "learn.logits": "Scores (logits), separated by commas",
    "learn.temperature": "Temperature (T)",
    "learn.probabilities": "Probabilities",
    "learn.class": "class",
    "learn.probability": "probability",
    "learn.softmax_sum": "sum of probabilities = {total:.4f}; predicted: class {top} ({p:.1%})",
    "learn.dropout_p": "Dropout probability (p)",
    "learn.seed": "Random seed (a new mask)",
    "learn.dropout_plot": "Feature map, mask and result",
    "learn.before": "feature map",
    "learn.mask": "mask (white: kept)",
    "learn.after": "after dropout",
    "learn.dropout_summary": "kept {kept} of {total} values ({share:.0%}; expected {expected:.0%}); kept values × "
    "{scale:.3g}; mean before {before:.3f}, after {after:.3f}",
    "learn.target": "Target (y)",
    "learn.prediction": "Prediction (ŷ)",
    "learn.loss_plot": "Each loss against the prediction",
    "learn.loss_axis": "loss",
    "learn.prediction_axis": "prediction ŷ",
    "learn.target_short": "target",
    "learn.batch_title": "**Loss for one example vs cost over a batch**: edit the batch (target y, prediction ŷ).",
    "learn.batch_input": "Batch (editable)",
    "learn.batch_output": "Loss of each example, and the cost of the batch",
    "learn.example": "example",
    "learn.cost_row": "cost (mean over the batch)",
    "learn.surface": "Surface",
    "learn.start_x": "Start x",
    "learn.start_y": "Start y",
    "learn.steps": "Steps",
    "learn.lrs": "Learning rate of each optimizer (editable)",
    "learn.optimizer": "optimizer",
    "learn.learning_rate": "learning rate",
    "learn.race": "▶ Race",
    "learn.race_plot": "Trajectories and loss per step",
    "learn.race_table": "Where each optimizer ended",
    "learn.loss_above_min": "loss − minimum (log scale)",
    "learn.step": "step",
    "learn.diverged": "diverged",
    "learn.end_x": "x",
    "learn.end_y": "y",
    "learn.end_loss": "loss",
    "learn.yes": "yes",
    "learn.no": "no",
    "learn.model": "Model",
    "learn.epochs": "Epochs",
    "learn.run_lr": "Learning rate (all seven)",
    "learn.queue": "▶ Queue the 7 runs",
    "learn.refresh": "↻ Refresh",
    "learn.queued": "Queued 7 runs: they train one after another",
    "learn.no_example": "the example dataset is not installed (assets/fashion-mnist-mini)",
    "learn.runs_table": "The seven runs",
    "learn.runs_plot": "Validation accuracy and loss per epoch",
    "learn.run": "run",
    "learn.state": "state",
    "learn.epoch": "epoch",
    "learn.best_val_acc": "best val acc",
    "learn.val_acc_axis": "validation accuracy (%)",
    "learn.val_loss_axis": "validation loss",
    "learn.no_runs": "No optimizer runs yet: press **Queue the 7 runs**.",
    "learn.preset_lenet5": "LeNet-5, from scratch (fast)",
    "learn.preset_efficientnet_frozen": "EfficientNet-Lite0, pretrained and frozen",
    # Mixup and cutmix (timm's regularisers)
    "learn.tab_mix": "Mixup and cutmix",
    "learn.mix_text": """
**Mixup** and **cutmix** are regularisers: instead of one picture with one label, the network trains on a mix of two
pictures with a mixed label, so it cannot be fully sure of any class. **Mixup** blends the two whole pictures with a
weight λ drawn from a Beta(α, α) distribution; **cutmix** pastes a box of the second picture into the first, and λ is
the share of the first one left. The label is mixed with the same λ, e.g. **0.70 tshirt top + 0.30 sneaker**: the
loss then compares the prediction with that soft target. This is what the training options *mixup* and *cutmix*
(**2 · Train**, More settings) do to every training batch, with timm's `Mixup`.
""",
    "learn.mix_a": "Picture a",
    "learn.mix_b": "Picture b",
    "learn.mix_alpha": "α",
    "learn.mix_alpha_info": "Beta(α, α): small α keeps λ near 0 or 1, α = 1 draws it uniformly",
    "learn.mix_seed": "Draw (seed)",
    "learn.mix_mixup": "mixup",
    "learn.mix_cutmix": "cutmix",
    "learn.mix_label": "**{mix}**: label **{label}** (λ = {lam:.2f} of picture a)",
}
ES = {
    "learn.title": "Aprender",
    "learn.tab_conv": "Convolución",
    "learn.tab_pool": "Pooling",
    "learn.tab_stack": "Apilamiento",
    "learn.tab_layers": "Aplanar, softmax, dropout",
    "learn.tab_arch": "Arquitecturas",
    "learn.tab_loss": "Pérdidas",
    "learn.tab_optim": "Optimizadores",
    "learn.conv_text": """
**Convolución**: una pequeña matriz de pesos, el **kernel** o **filtro**, se desliza sobre la imagen; en cada posición
los productos de los números superpuestos se suman en un número del **mapa de características**. El **relleno
(padding)** añade filas y columnas de ceros alrededor de la imagen para que la salida pueda conservar su tamaño; el
**paso (stride)** es cuánto salta el filtro en cada paso. El lado de la salida es **(W − K + 2P) / S + 1** (redondeado
hacia abajo). Después, **ReLU** se queda con max(0, x). En una CNN los filtros no se eligen a mano: empiezan al azar y
se aprenden como cualquier peso. Elige un filtro o escribe tus propios números en la tabla 3×3.
""",
    "learn.pool_text": """
La **agrupación (pooling)** o submuestreo resume cada ventana del mapa de características en un número y lo reduce
antes de la siguiente convolución. La **agrupación máxima (max-pool)** conserva el valor más brillante (buena para
trazos claros sobre fondo oscuro, como MNIST), la **mínima (min-pool)** el más oscuro y la **promedio (avg-pool)** la
media (más suave, puede difuminar detalles finos). La matriz de abajo es el ejemplo del curso: ventanas de 2×2, paso 2.
""",
    "learn.stack_text": """
**Apilamiento (stacking)**: cada filtro extrae una característica, así que una capa aplica muchos filtros y apila
sus mapas de características en un **volumen**: filas × columnas × filtros. El ejemplo del curso: una entrada de 6×6,
**8 filtros de 3×3**, relleno 0, paso 1 → ocho mapas de 4×4, un volumen de **4 × 4 × 8**. Los ocho filtros son los
filtros con nombre de la pestaña de convolución.
""",
    "learn.arch_text": """
**Arquitecturas de CNN** y el reto ImageNet (ILSVRC): la tabla del curso (capas, error top-5, puesto) junto a lo que
cnnapp calcula de los modelos reales (parámetros con 1000 clases). Todas ellas se pueden entrenar en la pestaña de
entrenamiento.
""",
    "learn.flatten_text": """
**Aplanar (flatten)**: la capa totalmente conectada del final de una CNN recibe un vector, así que el volumen de mapas
de características se dispone en una sola fila, un canal tras otro (`nn.Flatten`). No se aprende ni se pierde nada:
entran C × H × W números y salen C · H · W.
""",
    "learn.softmax_text": """
La **función softmax** convierte las puntuaciones (logits) z de la última capa en una distribución de probabilidad
sobre las clases: p = exp(zₖ / T) / Σ exp(zⱼ / T). La clase predicha es la de mayor probabilidad. La **temperatura** T
cambia la forma de la distribución sin cambiar el orden: T < 1 la concentra en la clase más probable, T > 1 la acerca
a la uniforme (T = 1 es la softmax normal de una red entrenada).
""",
    "learn.dropout_text": """
**Dropout**: durante el entrenamiento, cada valor de un mapa de características se pone a cero con probabilidad **p**,
con una máscara aleatoria nueva en cada paso, de modo que la red no puede depender de una sola neurona. Los valores
que se conservan se multiplican por **1 / (1 − p)** para que la suma esperada no cambie (`nn.Dropout`); al evaluar,
el dropout no hace nada.
""",
    "learn.loss_text": """
Una **función de pérdida** mide la distancia entre el valor real y y el estimado por la red ŷ; el entrenamiento ajusta
los pesos para que sea pequeña. La **pérdida (loss)** se define para un ejemplo concreto y el **coste (cost)** para una
colección de ejemplos (aquí, como en PyTorch, la media de las pérdidas del lote). El **MSE** (error cuadrático medio)
castiga sobre todo los errores grandes, el **MAE** (error absoluto medio) todos por igual, la **entropía cruzada
binaria** compara una probabilidad con un objetivo 0/1 y la **entropía cruzada categórica** compara una distribución
sobre clases con la real (aquí 3 clases: la clase 1 recibe la probabilidad y o ŷ y las otras dos se reparten el resto;
y = 1 es un objetivo one-hot). Todos los valores los calcula `torch.nn.functional`.
""",
    "learn.race_text": """
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
    "learn.runs_text": """
**Los mismos siete en entrenamientos reales**: un clic pone en cola siete entrenamientos del mismo modelo con el
conjunto de ejemplo incluido (Fashion-MNIST mini), idénticos salvo por el optimizador: misma partición, semilla, tasa
de aprendizaje (constante, sin planificador) y épocas. Se entrenan uno tras otro en segundo plano y aparecen también en
la pestaña de ejecuciones; las curvas se completan a medida que terminan sus épocas. El SGD de cnnapp usa momento de
Nesterov 0,9.
""",
    "learn.kernel": "Filtro (kernel)",
    "learn.kernel_numbers": "Números del filtro (edítalos para hacer el tuyo)",
    "learn.image": "Imagen",
    "learn.padding": "Relleno/padding (P)",
    "learn.stride": "Paso/stride (S)",
    "learn.relu": "ReLU: max(0, x)",
    "learn.input_gray": "Entrada (gris)",
    "learn.feature_map": "Mapa de características",
    "learn.no_image": "Añade una imagen para la convolución.",
    "learn.output_size": "Tamaño de salida",
    "learn.output_height": "Alto de salida",
    "learn.output_width": "Ancho de salida",
    "learn.feature_map_size": "mapa de características",
    "learn.method": "Método",
    "learn.window": "Ventana (kernel)",
    "learn.input_matrix": "Matriz de entrada (editable)",
    "learn.pooled": "Tras la agrupación",
    "learn.pooled_image": "Imagen tras la agrupación",
    "learn.pool_size": "agrupación {method}, ventanas de {k}×{k}, paso {s}: lado {formula}",
    "learn.stack_input": "Entrada (6×6, editable)",
    "learn.volume": "Volumen",
    "learn.one_map_per_filter": "Un mapa de características por filtro",
    "learn.side": "lado",
    "learn.filters": "filtros",
    "learn.filter": "filtro",
    "learn.volume_word": "volumen",
    "learn.rows": "filas",
    "learn.columns": "columnas",
    "learn.architectures": "Arquitecturas",
    "learn.channels": "Canales (C)",
    "learn.height": "Alto (H)",
    "learn.width": "Ancho (W)",
    "learn.flatten_plot": "Volumen y vector aplanado",
    "learn.channel": "canal",
    "learn.vector": "vector aplanado",
    "learn.logits": "Puntuaciones (logits), separadas por comas",
    "learn.temperature": "Temperatura (T)",
    "learn.probabilities": "Probabilidades",
    "learn.class": "clase",
    "learn.probability": "probabilidad",
    "learn.softmax_sum": "suma de probabilidades = {total:.4f}; predicción: clase {top} ({p:.1%})",
    "learn.dropout_p": "Probabilidad de dropout (p)",
    "learn.seed": "Semilla aleatoria (otra máscara)",
    "learn.dropout_plot": "Mapa de características, máscara y resultado",
    "learn.before": "mapa de características",
    "learn.mask": "máscara (blanco: se conserva)",
    "learn.after": "tras el dropout",
    "learn.dropout_summary": "se conservan {kept} de {total} valores ({share:.0%}; se esperaba {expected:.0%}); los "
    "conservados × {scale:.3g}; media antes {before:.3f}, después {after:.3f}",
    "learn.target": "Valor real (y)",
    "learn.prediction": "Predicción (ŷ)",
    "learn.loss_plot": "Cada función de pérdida frente a la predicción",
    "learn.loss_axis": "pérdida",
    "learn.prediction_axis": "predicción ŷ",
    "learn.target_short": "valor real",
    "learn.batch_title": "**Pérdida de un ejemplo frente al coste de un lote**: edita el lote (valor real y, "
    "predicción ŷ).",
    "learn.batch_input": "Lote (editable)",
    "learn.batch_output": "Pérdida de cada ejemplo y coste del lote",
    "learn.example": "ejemplo",
    "learn.cost_row": "coste (media del lote)",
    "learn.surface": "Superficie",
    "learn.start_x": "Inicio x",
    "learn.start_y": "Inicio y",
    "learn.steps": "Pasos",
    "learn.lrs": "Tasa de aprendizaje de cada optimizador (editable)",
    "learn.optimizer": "optimizador",
    "learn.learning_rate": "tasa de aprendizaje",
    "learn.race": "▶ Carrera",
    "learn.race_plot": "Trayectorias y pérdida en cada paso",
    "learn.race_table": "Dónde terminó cada optimizador",
    "learn.loss_above_min": "pérdida − mínimo (escala log.)",
    "learn.step": "paso",
    "learn.diverged": "divergió",
    "learn.end_x": "x",
    "learn.end_y": "y",
    "learn.end_loss": "pérdida",
    "learn.yes": "sí",
    "learn.no": "no",
    "learn.model": "Modelo",
    "learn.epochs": "Épocas",
    "learn.run_lr": "Tasa de aprendizaje (los siete)",
    "learn.queue": "▶ Poner en cola los 7 entrenamientos",
    "learn.refresh": "↻ Actualizar",
    "learn.queued": "7 entrenamientos en cola: se entrenan uno tras otro",
    "learn.no_example": "el conjunto de ejemplo no está instalado (assets/fashion-mnist-mini)",
    "learn.runs_table": "Los siete entrenamientos",
    "learn.runs_plot": "Exactitud y pérdida de validación por época",
    "learn.run": "ejecución",
    "learn.state": "estado",
    "learn.epoch": "época",
    "learn.best_val_acc": "mejor exactitud val.",
    "learn.val_acc_axis": "exactitud de validación (%)",
    "learn.val_loss_axis": "pérdida de validación",
    "learn.no_runs": "Aún no hay entrenamientos de optimizadores: pulsa **Poner en cola los 7 entrenamientos**.",
    "learn.preset_lenet5": "LeNet-5, desde 0 (rápido)",
    "learn.preset_efficientnet_frozen": "EfficientNet-Lite0, preentrenado y congelado",
    # Mixup y cutmix
    "learn.tab_mix": "Mixup y cutmix",
    "learn.mix_text": """
**Mixup** y **cutmix** son regularizadores: en lugar de una imagen con una etiqueta, la red se entrena con una mezcla
de dos imágenes con una etiqueta mezclada, así que no puede estar del todo segura de ninguna clase. **Mixup** funde
las dos imágenes enteras con un peso λ sacado de una distribución Beta(α, α); **cutmix** pega un recuadro de la
segunda imagen en la primera, y λ es la parte que queda de la primera. La etiqueta se mezcla con el mismo λ, p. ej.
**0.70 tshirt top + 0.30 sneaker**: la pérdida compara entonces la predicción con esa etiqueta suave. Es lo que hacen
las opciones de entrenamiento *mixup* y *cutmix* (**2 · Entrenar**, Más ajustes) con cada lote de entrenamiento,
con el `Mixup` de timm.
""",
    "learn.mix_a": "Imagen a",
    "learn.mix_b": "Imagen b",
    "learn.mix_alpha": "α",
    "learn.mix_alpha_info": "Beta(α, α): con α pequeño λ queda cerca de 0 o 1; con α = 1 es uniforme",
    "learn.mix_seed": "Sorteo (semilla)",
    "learn.mix_mixup": "mixup",
    "learn.mix_cutmix": "cutmix",
    "learn.mix_label": "**{mix}**: etiqueta **{label}** (λ = {lam:.2f} de la imagen a)",
}
