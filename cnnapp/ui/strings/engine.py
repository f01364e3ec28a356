"""What the engine tells a person (`cnnapp.messages`), by its code: `engine.<code>`, with the same `{fields}` as the
English. The English is the engine's own (`cnnapp.messages.ENGLISH`, listed here so both tables have every code); a
page in English renders with `ENGLISH` itself, a Spanish page with `ES`. See `cnnapp.ui.common.engine_text`.

The module is longer than 450 lines because `ES` is one table, every code of `ENGLISH` grouped by area."""

from cnnapp.messages import ENGLISH
from cnnapp.ui.strings import common

EN = {f"engine.{code}": text for code, text in ENGLISH.items()}
ES = {
    # a run's status
    "engine.run.starting": "empezando",
    "engine.run.starting_process": "iniciando el proceso de entrenamiento",
    "engine.run.reading": "leyendo el conjunto de datos",
    "engine.run.reading_files": (
        "leyendo el conjunto de datos: {done:,} de {total:,} archivos comprobados ({rate:,.0f} archivos/s)"
    ),
    "engine.run.building": "construyendo el modelo",
    "engine.run.building_arch": "construyendo {arch}",
    "engine.run.decoding": "decodificando las imágenes",
    "engine.run.waiting": "esperando un hueco libre para entrenar",
    "engine.run.cancelled_before_start": "cancelada antes de empezar",
    "engine.run.stopped": "detenida a petición; se guardaron los mejores pesos hasta ahora y un punto de control",
    "engine.run.epoch": "época {epoch}/{epochs} ({stage})",
    "engine.run.completed": "completada{val}{test}{early}",
    "engine.run.completed_val": ": exactitud de validación {acc:.1%}",
    "engine.run.completed_test": ", exactitud de prueba {acc:.1%}",
    "engine.run.stopped_early": "; detenida antes de tiempo tras la época {epoch} ({reason})",
    "engine.stage.full": "toda la red",
    "engine.stage.frozen": "congelada",
    "engine.stage.unfrozen": "descongelada",
    # early stopping
    "engine.patience.stale": "la exactitud de validación no mejoró en {epochs} épocas",
    "engine.patience.stale_1": "la exactitud de validación no mejoró en {epochs} época",
    # the trainer's usual log lines
    "engine.log.balance": "clases desequilibradas ({ratio:.1f}:1): equilibradas con {balance} (--balance {asked})",
    "engine.log.resuming": "reanudando desde la etapa {stage}, época {epoch}",
    "engine.log.model": "{arch}: {classes} clases, {details}",
    "engine.log.no_val_patience": (
        "aviso: no hay imágenes de validación, así que no hay parada temprana (la paciencia necesita la exactitud "
        "de validación)"
    ),
    "engine.log.mixing_no_cache": (
        "mixup/cutmix: la etapa congelada entrena pasando por las imágenes, no sobre las características guardadas "
        "del backbone (un vector de características no tiene parche que recortar; cada lote se mezcla de nuevo)"
    ),
    "engine.log.stage": "etapa '{stage}': {trainable:,} parámetros entrenables, {epochs} época(s)",
    "engine.log.epoch": (
        "época {epoch}/{epochs} [{stage}] pérdida de entrenamiento {loss:.4f} exactitud {acc:.1%}{val} | "
        "{seconds:.1f}s{best}"
    ),
    "engine.log.epoch_val": " | pérdida de validación {loss:.4f} exactitud {acc:.1%}",
    "engine.log.stopped_early": (
        "la etapa '{stage}' se detuvo antes de tiempo: {reason}; se conservan los mejores pesos (época {best})"
    ),
    "engine.log.error": "error: {message}",
    # training failures
    "engine.loss.non_finite": (
        "la pérdida divergió: baja la tasa de aprendizaje (se volvió NaN o infinita; p. ej. divide la de la cabeza "
        "entre 10)"
    ),
    "engine.loss.non_finite_val": (
        "la pérdida de validación se volvió NaN o infinita en la época {epoch}; baja la tasa de aprendizaje "
        "(p. ej. divide la de la cabeza entre 10)"
    ),
    # run names
    "engine.name.default": "{arch} · {dataset} · {mode}",
    "engine.name.detailed": "{arch} · {dataset} · {mode} · {detail}",
    "engine.mode.scratch": "desde cero",
    "engine.mode.frozen": "congelada",
    "engine.mode.frozen_unfrozen": "congelada y luego descongelada",
    "engine.mode.fine_tuned": "ajuste fino",
    # errors of any kind
    "engine.error.out_of_memory": (
        "memoria insuficiente: reduce el tamaño de lote o el tamaño de imagen, o elige una arquitectura más pequeña"
    ),
    "engine.error.disk_full": "el disco está lleno: borra ejecuciones o exportaciones para liberar espacio",
    "engine.error.disk_full_at": "{disk_full} ({where})",
    "engine.error.files": (
        "no se pudieron leer o escribir archivos ({problem}: {file}); comprueba el espacio en disco y los permisos"
    ),
    "engine.error.unexpected": "error inesperado ({kind}: {first}){see}",
    "engine.error.see_log": "; mira {file}",
    # datasets
    "engine.data.not_found": (
        "no se encontró el conjunto de datos: {source}; da una carpeta con subcarpetas por clase o un .zip"
    ),
    "engine.data.not_folder_or_zip": (
        "'{name}' no es una carpeta ni un archivo .zip; da una carpeta al estilo ImageFolder o un .zip"
    ),
    "engine.data.no_classes": (
        "no se encontraron carpetas de clases en {place}: se espera <carpeta>/<clase>/<imagen> o "
        "<carpeta>/train/<clase>/<imagen>"
    ),
    "engine.data.no_valid_images": (
        "no se encontraron imágenes válidas en {place} ({skipped} archivo(s) omitido(s); mira el informe)"
    ),
    "engine.data.one_class": (
        "solo una clase ({name}) tiene imágenes: un clasificador necesita al menos dos carpetas de clases"
    ),
    "engine.data.imbalanced": (
        "clases desequilibradas: '{largest}' tiene {most} imágenes de entrenamiento y '{smallest}' {fewest} "
        "({ratio:.1f}:1, más de {limit:g}:1); la exactitud favorece a las clases grandes: mira la exactitud "
        "equilibrada y considera la opción de equilibrio de clases (weights o sampler)"
    ),
    "engine.skip.macos": "carpeta de recursos de macOS",
    "engine.skip.bookkeeping": "archivo interno de cnnapp",
    "engine.skip.hidden": "archivo o carpeta oculta",
    "engine.skip.system": "archivo del sistema operativo",
    "engine.skip.not_image": "no es un archivo de imagen ({ext})",
    "engine.skip.no_extension": "sin extensión",
    "engine.skip.link": "enlace simbólico; no se sigue",
    "engine.skip.outside_class": "no está dentro de una carpeta de clase",
    "engine.skip.not_a_split": "carpeta junto a train/val/test que no es una partición; se ignora",
    "engine.skip.no_training_folder": "la clase '{name}' no tiene carpeta de entrenamiento",
    "engine.skip.duplicate": "duplicado de {first}",
    "engine.skip.unreadable": "archivo ilegible ({problem})",
    # archives
    "engine.archive.not_found": "no se encontró el archivo comprimido: {path}",
    "engine.archive.not_zip": (
        "'{name}' no es un archivo zip (el archivo está dañado o tiene otro formato); sube un archivo .zip"
    ),
    "engine.archive.corrupt": "'{name}' es un zip dañado o no admitido ({problem}); vuelve a crear el archivo",
    "engine.archive.too_many_files": (
        "el archivo comprimido tiene más de {limit:,} archivos; divídelo o aumenta CNNAPP_ZIP_MAX_FILES"
    ),
    "engine.archive.too_large": (
        "el archivo comprimido ocupa más de {gib:.1f} GiB al extraerlo; sube un conjunto de datos más pequeño o "
        "aumenta CNNAPP_ZIP_MAX_BYTES"
    ),
    "engine.archive.bomb_member": (
        "'{name}' se comprime a razón de {ratio:.0f}:1, lo que parece una bomba zip; no se extrajo el archivo"
    ),
    "engine.archive.bomb": "el archivo se expande {ratio:.0f}:1, lo que parece una bomba zip; no se extrajo",
    "engine.archive.oversized_member": "'{name}' es más grande de lo que dice su cabecera; no se extrajo el archivo",
    "engine.archive.disk_full": "{disk_full}, y luego vuelve a subir '{name}'",
    "engine.archive.cannot_extract": "no se pudo extraer '{name}': {problem}",
    "engine.archive.unsafe_path": "ruta insegura que saldría de la carpeta de extracción; no se extrajo",
    "engine.archive.link": "enlace simbólico; no se extrajo",
    "engine.archive.duplicate_name": "nombre de entrada repetido; se conservó la primera, '{first}'",
    "engine.archive.encrypted": "cifrado (necesita contraseña); no se extrajo",
    "engine.archive.all_encrypted": (
        "todas las entradas de '{name}' están cifradas (necesitan contraseña); comprime las imágenes sin contraseña"
    ),
    "engine.archive.unreadable_member": "no se pueden leer los datos de esta entrada ({problem}); no se extrajo",
    "engine.archive.nested": "archivo comprimido anidado; no se extrajo (descomprímelo y sube su contenido)",
    "engine.archive.name_too_long": "nombre demasiado largo para este sistema de archivos; no se extrajo",
    "engine.archive.file_and_folder": "un archivo y una carpeta del zip tienen el mismo nombre; no se extrajo",
    "engine.archive.cannot_write": "no se puede escribir en este sistema de archivos ({problem}); no se extrajo",
    # image files
    "engine.image.too_large": (
        "imagen demasiado grande ({width}×{height} píxeles, límite {limit:,}); redúcela o aumenta "
        "CNNAPP_MAX_IMAGE_PIXELS"
    ),
    "engine.image.too_many_pixels": (
        "imagen demasiado grande ({pixels:,} píxeles, por encima del límite de este servidor, {limit:,}); redúcela o "
        "aumenta CNNAPP_MAX_IMAGE_PIXELS"
    ),
    "engine.image.bomb": "imagen demasiado grande (protección contra bombas de descompresión: {problem})",
    "engine.image.not_image": "no es una imagen válida (el contenido no es un formato de imagen que PIL sepa leer)",
    "engine.image.not_found": "archivo no encontrado",
    "engine.image.corrupt": "imagen truncada o dañada ({problem})",
    "engine.augment.none": "sin aumento de datos",
    "engine.augment.step": "{name} ({meaning} {value})",
    "engine.augment.list": "{steps}",
    "engine.augment.meaning.crop": "área mínima conservada",
    "engine.augment.meaning.hflip": "probabilidad",
    "engine.augment.meaning.vflip": "probabilidad",
    "engine.augment.meaning.rotate": "grados máximos",
    "engine.augment.meaning.noise": "desviación típica máxima (fracción de 255)",
    "engine.augment.meaning.color": "cambio de brillo/contraste",
    "engine.augment.meaning.hue": "giro de tono (saturación ×2)",
    "engine.augment.meaning.gray": "probabilidad",
    "engine.text": "{text}",
    # job manager
    "engine.run.waiting_resume": "esperando un hueco libre para entrenar y continuar desde su punto de control",
    "engine.run.waiting_restart": (
        "esperando un hueco libre para entrenar y empezar de nuevo (no se guardó ningún punto de control)"
    ),
    "engine.run.shut_down_before_start": "la app se cerró antes de que empezara esta ejecución",
    "engine.run.app_stopped_before_start": "la app se detuvo antes de que empezara esta ejecución en cola",
    "engine.run.start_failed": "no se pudo iniciar el proceso de entrenamiento ({reason})",
    "engine.run.process_gone": "el proceso de entrenamiento (pid {pid}) ya no existe (la máquina se reinició)",
    "engine.run.process_ended": (
        "el proceso de entrenamiento (pid {pid}) terminó sin acabar (detenido a la fuerza, fallo o reinicio de la "
        "máquina)"
    ),
    "engine.run.ended_unknown": (
        "el proceso de entrenamiento terminó sin acabar (se inició antes de que la app se reiniciara)"
    ),
    "engine.run.killed": "el proceso de entrenamiento fue detenido a la fuerza ({signal})",
    "engine.run.exit_code": "el proceso de entrenamiento terminó con el código {exit_code}; mira {log}",
    "engine.run.sending_signal": "el proceso no se detuvo a tiempo; enviando {signal}",
    "engine.run.stopped_on_request": "detenida a petición",
    "engine.run.stopped_killed": "detenida a petición (hubo que detener el proceso a la fuerza)",
    "engine.run.time_limit": (
        "detenida tras {minutes:g} min, el límite de este servidor para una ejecución (fijado por "
        "CNNAPP_MAX_RUN_MINUTES); se guardaron los mejores pesos hasta ahora y un punto de control: reanúdala para "
        "continuar"
    ),
    # page truth
    "engine.loss.diverged": (
        "la pérdida divergió: baja la tasa de aprendizaje (se mantuvo por encima de {factor:g}× su primer valor "
        "durante {batches} lotes seguidos)"
    ),
    "engine.log.details": "imágenes: {counts}, a {size} px en {where}",
    "engine.device.line": "{where}, {precision}, {layout}",
    "engine.device.cpu": "CPU ({threads} hilos)",
    "engine.device.cpu_1": "CPU (1 hilo)",
    "engine.device.precision": "{train} al entrenar, {eval} al predecir",
    "engine.log.split_count": "{count} de {split}",
    "engine.split.train": "entrenamiento",
    "engine.split.val": "validación",
    "engine.split.test": "prueba",
    "engine.limit.queued_session": (
        "ya tienes {count} petición(es) en espera, el límite de este servidor (fijado por {variable}; un Inicio, "
        "una Reanudación, una cuadrícula o una carrera cuentan una vez cada uno); espera a que empiece una o "
        "detén una"
    ),
    "engine.limit.queued_total": (
        "ya hay {count} peticiones esperando un hueco, el límite de este servidor (fijado por {variable}); "
        "inténtalo de nuevo cuando haya empezado una"
    ),
    "engine.dataset.example": "Fashion-MNIST mini (ejemplo)",
    "engine.limit.over": (
        "{what}: {value}{unit} supera el límite de este servidor, {limit}{unit} (fijado por {variable})"
    ),
    "engine.config.at_least": "{option}: debe ser al menos {minimum}; se indicó {value}",
    "engine.config.zero_or_more": "{option}: debe ser 0 o más; se indicó {value}",
    "engine.config.patience": "{option}: debe ser 0 (desactivada) o más épocas; se indicó {value}",
    "engine.config.rate": "{option}: debe ser un número positivo no mayor que {maximum:g}; se indicó {value}",
    "engine.config.between": "{option}: debe estar entre {minimum} y {maximum}; se indicó {value}",
    "engine.config.size_too_small": (
        "un tamaño de imagen de {size} px es demasiado pequeño para {arch}: usa al menos {minimum} px"
    ),
    "engine.option.epochs": "Épocas",
    "engine.option.unfreeze_epochs": "Épocas descongeladas",
    "engine.option.patience": "Parada temprana",
    "engine.option.lr_head": "Tasa de aprendizaje (cabeza)",
    "engine.option.lr_backbone": "Tasa de aprendizaje (red base)",
    "engine.option.batch_size": "Tamaño del lote",
    "engine.option.seed": "Semilla",
    "engine.option.img_size": "Tamaño de imagen",
    "engine.option.workers": "Procesos de carga",
    # clasificar una carpeta o un .zip de imágenes
    "engine.folder.no_images": (
        "no hay ninguna imagen que clasificar en {name} ({skipped} archivo(s) omitidos, ninguno una imagen válida)"
    ),
    "engine.folder.min_confidence": "la confianza mínima debe estar entre 0 y 1, no {value}",
    "engine.folder.sort_inside": (
        "las copias ordenadas no pueden ir dentro de la carpeta que se clasifica ({folder}): elige otra"
    ),
    # el modelo de una ejecución con datos nuevos etiquetados, y limpiar su conjunto de datos
    "engine.evaluate.no_known_class": "ninguna de las clases de {name} ({classes}) es de las de la ejecución",
    "engine.cleaner.no_dataset": "la ejecución {run} no tiene ingest.json: no se sabe cuál es su conjunto de datos",
    "engine.cleaner.columns": "{name} necesita las columnas path, action (keep, relabel o remove) y new_label",
    "engine.cleaner.exists": "{folder} ya existe: elige otra carpeta",
    "engine.cleaner.unknown_path": "{path} no es una imagen del conjunto de datos de la ejecución",
    "engine.cleaner.unknown_action": "acción '{action}' de {path}: usa keep, relabel o remove",
    "engine.cleaner.unknown_class": "reetiquetar {path} como '{label}': no es ninguna de {classes}",
    # rechazos: una petición que una cara de la app no puede aceptar
    "engine.api.config_example": "{problem}; envía un objeto como {example}",
    "engine.api.config_not_object": ("config debe ser un objeto JSON de opciones de entrenamiento, como {example}"),
    "engine.api.server_path": (
        "'{key}' nombra un archivo del servidor y no se puede fijar desde la API; sube el conjunto de datos como .zip"
    ),
    "engine.api.grid_none": "no se puede entrenar ninguna configuración de la cuadrícula: {reason}",
    "engine.api.no_dataset": "no hay conjunto de datos: sube un .zip de carpetas <clase>/<imagen>",
    "engine.api.no_image": "no se dio ninguna imagen: sube una imagen para clasificarla",
    "engine.api.no_model": (
        "no se dio ningún modelo: indica el id de una ejecución o imagenet:<arch>, "
        "p. ej. imagenet:tf_efficientnet_lite0"
    ),
    "engine.api.no_archive": "no se dio ningún archivo: sube un .zip con las imágenes que quieres clasificar",
    "engine.rest.no_length": (
        "esta petición no tiene Content-Length: envía la imagen como formulario multipart (curl -F image=@foto.jpg)"
    ),
    "engine.rest.too_large": "esta petición ocupa {size:,} bytes, más de los {limit:,} que puede ocupar una subida "
    "(CNNAPP_MAX_UPLOAD)",
    "engine.rest.not_form": (
        "no se pudo leer esta petición como formulario: envía image (un archivo), model y top_k como campos multipart, "
        "p. ej. curl -F image=@foto.jpg -F model=imagenet:tf_efficientnet_lite0"
    ),
    "engine.rest.image_not_file": (
        "el campo image es texto, no un archivo: envíalo como archivo (curl -F image=@foto.jpg)"
    ),
    "engine.run.none_selected": "no hay ninguna ejecución seleccionada: primero haz clic en una ejecución de la tabla",
    "engine.grid.no_dataset": (
        "no se eligió ningún conjunto de datos: elige uno en la pestaña 1 · Datos (el de ejemplo sirve)"
    ),
    # rechazos de la pestaña Aprende
    "engine.course.table.matrix": "matriz",
    "engine.course.table.input": "entrada",
    "engine.course.table.kernel": "kernel",
    "engine.course.table.batch": "lote",
    "engine.course.table.learning_rates": "tasas de aprendizaje",
    "engine.course.not_numbers": "la tabla «{name}» solo puede contener números",
    "engine.course.not_table": "la tabla «{name}» debe tener filas y columnas, y no estar vacía",
    "engine.course.empty_cells": "la tabla «{name}» tiene celdas vacías o que no son números",
    "engine.course.conv_sizes": "el kernel y el paso (stride) deben ser al menos 1, y el relleno (padding) 0 o más",
    "engine.course.kernel_too_big": (
        "el kernel de {k}×{k} no cabe en una entrada de {height}×{width} con relleno {padding}; "
        "añade relleno o usa una entrada más grande"
    ),
    "engine.course.kernel_square": "el kernel debe ser cuadrado (p. ej. 3×3)",
    "engine.course.unknown_pooling": "pooling desconocido '{method}'; elige uno de {choices}",
    "engine.course.scores_numbers": "las puntuaciones deben ser números separados por comas, p. ej. 2.0, 1.0, 0.1",
    "engine.course.scores_count": "escribe entre 2 y 20 puntuaciones (logits), p. ej. 2.0, 1.0, 0.1",
    "engine.course.temperature": "la temperatura debe ser mayor que 0; se indicó {value}",
    "engine.course.dropout": "la probabilidad de dropout debe ir de 0 hasta 1 (sin incluir el 1); se indicó {value}",
    "engine.course.cross_entropy": (
        "la entropía cruzada necesita predicciones estrictamente entre 0 y 1 y objetivos de 0 a 1"
    ),
    "engine.course.unknown_loss": "pérdida desconocida '{name}'; elige una de {choices}",
    "engine.course.batch_columns": "el lote necesita dos columnas: el objetivo y y la predicción ŷ",
    "engine.course.unknown_mix": "mezcla desconocida {kind!r}; elige una de {choices}",
    "engine.course.unknown_surface": "superficie desconocida '{name}'; elige una de {choices}",
    "engine.course.unknown_optimizer": "optimizador desconocido '{name}'; elige uno de {choices}",
    "engine.course.race_lr": "la tasa de aprendizaje de {optimizer} debe ser mayor que 0; se indicó {value}",
    "engine.course.race_steps": "los pasos deben estar entre 1 y 5000; se indicó {value}",
    "engine.course.race_rates": "la tabla de tasas de aprendizaje necesita una fila por optimizador ({count})",
    "engine.course.unknown_preset": "modelo desconocido '{name}'; elige uno de {choices}",
    # rechazos sobre conjuntos de datos
    "engine.builder.what_class": "nombre de la clase",
    "engine.builder.what_dataset": "nombre del conjunto de datos",
    "engine.builder.name_empty": "el {what} está vacío; escribe un nombre, como 'gato'",
    "engine.builder.name_too_long": "el {what} '{name}…' es demasiado largo; usa como mucho {limit} caracteres",
    "engine.builder.name_not_folder": (
        "el {what} '{name}' no sirve como nombre de carpeta; usa letras, cifras, espacios, '-', '_' o '.', y empieza "
        "por una letra o una cifra"
    ),
    "engine.builder.name_reserved": (
        "'{name}' está reservado para las particiones del conjunto de datos; elige otro {what}"
    ),
    "engine.builder.empty_picture": "la imagen está vacía o no es una matriz de imagen",
    "engine.builder.cannot_read": "no se puede leer una imagen a partir de {kind}",
    "engine.builder.no_class": "no hay ninguna clase '{name}' en este conjunto de datos; añádela primero",
    "engine.builder.class_exists": (
        "ya hay una clase '{name}'; los nombres de las clases deben ser distintos (sin contar mayúsculas)"
    ),
    "engine.builder.not_example": "'{filename}' no es un ejemplo de '{name}'; puede que ya se haya borrado",
    "engine.builder.no_pictures": "el conjunto de datos aún no tiene imágenes; añade primero clases y ejemplos",
    "engine.examples.cifar10_hint": (
        "descarga cifar-10-python.tar.gz (la versión python de CIFAR-10, https://www.cs.toronto.edu/~kriz/cifar.html) "
        "y pásalo con la orden datasets cifar10 de la línea de comandos de cnnapp (mira el README)"
    ),
    "engine.examples.fashion_missing": (
        "no se encontró Fashion-MNIST en {source}; instálalo con `apt-get install dataset-fashion-mnist`"
    ),
    "engine.examples.not_batch": "{name} no es un lote python de CIFAR-10 ({problem}); {hint}",
    "engine.examples.not_dict": "{name} no es un lote python de CIFAR-10 (no es un diccionario); {hint}",
    "engine.examples.bad_data": "{name}: 'data' no es una matriz uint8 de N×3072; {hint}",
    "engine.examples.bad_labels": "{name}: 'labels' no es una lista de {count} números de clase del 0 al 9; {hint}",
    "engine.examples.cifar10_missing": "no se encontró el archivo de CIFAR-10: {archive}; {hint}",
    "engine.examples.no_batch": "{name} no tiene {folder}/{batch}: ¿es la versión python de CIFAR-10? {hint}",
    "engine.examples.batch_too_large": "{name}: {batch} ocupa {size:,} bytes, demasiado para un lote de CIFAR-10",
    "engine.examples.not_tar": "{name} no es un archivo .tar.gz legible ({problem}); {hint}",
    "engine.examples.download_failed": "no se pudo descargar CIFAR-10 ({kind}: {first}); ¿sin conexión? {hint}",
    "engine.examples.unknown": "conjunto de datos de ejemplo desconocido '{name}'; elige uno de {choices}",
    "engine.examples.per_class": "per_class debe ser al menos 1; se indicó {value}",
    "engine.augment.unknown": (
        "aumento de datos desconocido '{name}'; usa un preajuste ({presets}) o nombres de entre {names}"
    ),
    "engine.augment.needs_number": "el aumento de datos '{token}' necesita un número después de '='",
    "engine.augment.negative": "el aumento de datos '{token}' necesita un valor de 0 o más",
    "engine.upload.cannot_store": "no se pudo guardar el conjunto de datos subido ({problem})",
    "engine.error.no_detail": "sin detalles",
    # rechazos sobre ejecuciones y trabajos
    "engine.runs.not_found": (
        "no hay ninguna ejecución llamada '{name}': se borró o el nombre está mal escrito; elige una de la lista de "
        "ejecuciones"
    ),
    "engine.runs.bad_id": "'{name}' no es un id de ejecución válido",
    "engine.runs.not_run_dir": "{path} no es la carpeta de una ejecución (no tiene {file})",
    "engine.runs.damaged": (
        "los pesos de la ejecución {run} ({file}) están dañados y no se pueden cargar; vuelve a entrenarla"
    ),
    "engine.runs.no_weights_yet": (
        "la ejecución {run} aún no tiene pesos guardados; espera a que termine su primera época"
    ),
    "engine.runs.no_weights": "la ejecución {run} terminó sin guardar ningún peso ({why}); vuelve a entrenarla",
    "engine.runs.no_checkpoint": (
        "{path} no tiene ningún punto de control desde el que reanudar (se detuvo antes de acabar una época)"
    ),
    "engine.runs.not_resumable": (
        "la ejecución {run} está en estado {state}; solo se pueden reanudar las ejecuciones interrumpidas, "
        "canceladas o fallidas"
    ),
    "engine.runs.untrained": (
        "la ejecución {run} aún no tiene un modelo entrenado (falta la configuración o las etiquetas); entrénala "
        "primero"
    ),
    "engine.session.not_ready": (
        "esta página aún no tiene sesión (el almacenamiento del navegador no está listo); recarga la página y vuelve "
        "a intentarlo"
    ),
    "engine.jobs.cannot_start": "no se pudo iniciar un proceso de trabajo ({problem})",
    "engine.jobs.too_long": "tardó más de {minutes:.0f} minutos y se detuvo",
    "engine.jobs.dataset_gone": (
        "el conjunto de datos de la ejecución {run} ya no está en este servidor (un conjunto subido se guarda "
        "{minutes:.0f} minutos después de que su ejecución se detiene); empieza una ejecución nueva con él"
    ),
    "engine.jobs.not_running": "la ejecución {run} no se está ejecutando (su estado: {state})",
    "engine.jobs.cancelled_queued": "se canceló la ejecución en cola",
    "engine.jobs.stopping": "se detendrá tras el lote actual (se guarda un punto de control)",
    # a run's state, in the words the pages show it with (`common.state_<name>`)
    **{
        f"engine.{code}": common.ES[f"common.state_{code.removeprefix('state.')}"]
        for code in ENGLISH
        if code.startswith("state.")
    },
    "engine.train.not_run_dir": "{path} no es la carpeta de una ejecución",
    "engine.train.dir_taken": (
        "{path} ya contiene una ejecución en estado {state}; elige otra carpeta de ejecución o reanúdala"
    ),
    "engine.train.none_queued": "{path} no contiene ninguna ejecución en cola",
    "engine.evaluate.no_report": (
        "la ejecución {run} aún no tiene informe de evaluación: se escribe cuando termina el entrenamiento"
    ),
    "engine.evaluate.no_split": "esta ejecución no tiene evaluación de {split} (no hay imágenes de {split})",
    "engine.evaluate.no_predictions": (
        "la ejecución {run} aún no tiene predicciones de validación: se escriben cuando termina el entrenamiento"
    ),
    "engine.lr_find.bad_sweep": (
        "el barrido necesita al menos 2 pasos y 0 < inicio < fin; se indicó {steps}, {start}, {end}"
    ),
    "engine.lr_find.no_images": (
        "la partición de entrenamiento no tiene imágenes con las que barrer la tasa de aprendizaje"
    ),
    "engine.lr_find.too_early": (
        "la pérdida divergió tras solo {steps} pasos, demasiado pronto para sugerir una tasa de aprendizaje; "
        "prueba un lote más pequeño o una tasa inicial más pequeña"
    ),
    "engine.name.too_long": "el nombre de la ejecución tiene {length} caracteres; que tenga menos de {limit}",
    # rechazos de la configuración
    "engine.config.unknown_option": "opción desconocida '{key}'; opciones válidas: {options}",
    "engine.config.wrong_type": "{option} debe ser {kind}; se indicó {value}",
    "engine.config.kind_int": "int (un número entero)",
    "engine.config.kind_float": "float (un número)",
    "engine.config.kind_bool": "bool (true o false)",
    "engine.config.kind_str": "str (texto)",
    "engine.config.unknown_recipe": "receta desconocida '{recipe}'; elige una de {choices}",
    "engine.config.no_data": (
        "no se dio ningún conjunto de datos: elige uno en la pestaña 1 · Datos (una carpeta con subcarpetas por clase "
        "o un .zip)"
    ),
    "engine.config.pretrained_and_weights": (
        "elige o bien los pesos de ImageNet o bien tu propio archivo de pesos, no ambos"
    ),
    "engine.config.no_pretrained": (
        "{problem}: entrena {arch} desde cero (sin pesos preentrenados) o elige {offline}, cuyos pesos de ImageNet "
        "vienen con cnnapp"
    ),
    "engine.config.needs_freeze": (
        "las épocas descongeladas necesitan una primera etapa congelada: marca «Congelar la red base»"
    ),
    "engine.config.unknown_choice": "valor desconocido '{value}' para {option}; elige uno de {choices}",
    "engine.config.fraction": "{option} debe estar en [0, 1); se indicó {value}",
    "engine.config.alpha": "{option} debe ser 0 (desactivado) o un alfa positivo; se indicó {value}",
    "engine.config.ema_decay": "ema_decay debe ser 0 (desactivado) o estar en (0, 1), p. ej. 0.999; se indicó {value}",
    "engine.config.one_of": "{option} debe ser uno de {choices}",
    "engine.config.too_large": "{option} {value} es más de lo que admite cnnapp ({maximum})",
    "engine.weights.offline": (
        "no se pudieron descargar los pesos preentrenados de {arch} (¿sin acceso a la red?). Usa la arquitectura "
        "{offline}, cuyos pesos de ImageNet vienen con cnnapp, tu propio archivo de pesos (.safetensors o .pth) o "
        "entrena sin pesos de ImageNet"
    ),
    "engine.config.size_fails": (
        "un tamaño de imagen de {size} px no funciona con {arch} ({problem}); prueba con {suggested}"
    ),
    "engine.device.no_cuda": (
        "se pidió el dispositivo 'cuda' pero no hay ninguna GPU CUDA disponible; usa el dispositivo auto o cpu"
    ),
    "engine.device.no_cuda_here": (
        "se pidió el dispositivo 'cuda' pero esta máquina no tiene GPU CUDA; usa el dispositivo auto o cpu"
    ),
    "engine.compare.no_weights": (
        "{arch} no tiene pesos preentrenados, así que solo se puede entrenar la (a) de la cuadrícula; compara con "
        "una arquitectura que los tenga (p. ej. tf_efficientnet_lite0)"
    ),
    "engine.budget.memory": (
        "un tamaño de lote de {batch_size} con imágenes de {img_size} px necesita unos {need:.1f} GiB para las "
        "activaciones de {arch}, más de los {budget:.1f} GiB de este servidor para un entrenamiento (fijado por "
        "{variable}); reduce el tamaño de lote o el de imagen"
    ),
    "engine.arch.unknown": (
        "arquitectura desconocida '{name}'; la lista está en la línea de comandos de cnnapp (mira el README), y "
        "cualquier nombre de modelo de timm también sirve"
    ),
    "engine.arch.no_weights": "{arch} no tiene pesos preentrenados",
    "engine.arch.no_weights_offline": "no hay pesos de ImageNet disponibles sin conexión para {arch}",
    "engine.weights.lite0_unreadable": (
        "no se pudieron leer los pesos de EfficientNet-Lite0 que trae cnnapp ({problem}); reinstala cnnapp"
    ),
    "engine.weights.lite0_count": (
        "los pesos de EfficientNet-Lite0 tienen {source} tensores y el modelo de timm {target}"
    ),
    "engine.weights.lite0_shape": (
        "el peso {source} {source_shape} de EfficientNet-Lite0 no encaja en {target} {target_shape}"
    ),
    "engine.weights.none_published": (
        "{arch} no tiene pesos preentrenados publicados; entrénala desde cero (sin pesos de ImageNet)"
    ),
    "engine.weights.not_found": "no se encontró el archivo de pesos: {path}",
    "engine.weights.unreadable": (
        "no se pudieron leer los pesos de {name}: usa un archivo .safetensors o un state dict de PyTorch normal "
        "({kind}: {first})"
    ),
    "engine.weights.unreadable_detail": "ilegible",
    "engine.weights.not_state_dict": "{name} no contiene un state dict de tensores",
    "engine.weights.mismatch": (
        "{name} no encaja con esta arquitectura: falta(n) {missing} tensor(es) y {wrong} tienen una forma distinta "
        "(p. ej. {sample}); ¿se guardó con la misma arquitectura?"
    ),
    "engine.settings.invalid": "{variable}={value} no es válido: se espera {form}; corrígelo o quítalo",
    # rechazos por los límites de este servidor
    "engine.limit.disk": (
        "el disco está lleno ({free:,.0f} MiB libres; este servidor necesita {need:,.0f} MiB, fijado por "
        "{variable}): borra ejecuciones o exportaciones y vuelve a intentarlo"
    ),
    "engine.limit.json_depth": "{what} anida más de {depth} niveles; envía un objeto plano de opciones",
    "engine.json.invalid": "{what} no es JSON válido ({problem})",
    "engine.top_k.not_whole": "top_k debe ser un número entero; se indicó {value}",
    "engine.top_k.too_small": "top_k debe ser al menos 1; se indicó {value}",
    "engine.quota.session": (
        "tus subidas y conjuntos de datos ocuparían {need:,.0f} MiB, más de los {budget:,.0f} MiB de este servidor "
        "para un visitante (fijado por {variable}); borra un conjunto de datos que hayas creado o usa uno más pequeño"
    ),
    "engine.quota.total": (
        "las subidas y los conjuntos de datos ocuparían {need:,.0f} MiB, más de los {budget:,.0f} MiB de este "
        "servidor para ellos (fijado por {variable}); vuelve a intentarlo más tarde o usa un conjunto más pequeño"
    ),
    # rechazos al predecir, explicar y exportar
    "engine.image.bad_array": "la matriz de la imagen debe ser H×W o H×W×C",
    "engine.image.cannot_read": "no se puede leer una imagen a partir de {kind}",
    "engine.explain.no_feature_map": "este modelo no tiene ningún mapa de características convolucional que explicar",
    "engine.explain.unknown_layers": "capa(s) desconocida(s): {names}",
    "engine.explain.unknown_class": "clase desconocida '{name}'{hint}",
    "engine.explain.did_you_mean": "; ¿quisiste decir {names}?",
    "engine.explain.or": "{first} o {second}",
    "engine.explain.classes_are": "; las clases son: {classes}",
    "engine.explain.class_count": " (el modelo tiene {count} clases)",
    "engine.export.unknown_format": "formato de exportación desconocido '{fmt}'; elige uno de {choices}",
    "engine.export.int8_onnx": "int8 cuantiza el modelo ONNX: úsalo con el formato onnx",
    "engine.export.not_folder_config": (
        "{folder} no es la carpeta de un modelo exportado (falta config.json o no tiene architecture/num_classes)"
    ),
    "engine.export.weights_mismatch": (
        "model.safetensors de {folder} no encaja con {arch} con {classes} clases ({problem})"
    ),
    "engine.onnx.adaptive_max": (
        "el max pooling adaptativo de {source} a {target} no se puede exportar a ONNX; prueba otro tamaño de imagen"
    ),
    "engine.onnx.failed": (
        "{arch} no se pudo exportar a ONNX ({problem}); la carpeta del modelo (formato safetensors) funciona con "
        "todas las arquitecturas"
    ),
    "engine.hub.bad_repo": (
        "'{repo}' no es el id de un repositorio del Hub: usa USUARIO/REPO (letras, cifras, '-', '_', '.')"
    ),
    "engine.hub.offline": (
        "no se puede subir al Hugging Face Hub: el modo sin conexión está activado (HF_HUB_OFFLINE); desactívalo en "
        "una máquina con acceso a la red"
    ),
    "engine.hub.no_token": "subir al Hugging Face Hub necesita un token de acceso con permiso de escritura: {where}",
    "engine.hub.token_cli": "indica un token o define HF_TOKEN",
    "engine.hub.token_page": "escribe tu token",
    "engine.hub.not_folder": (
        "{folder} no es la carpeta de un modelo exportado; exporta primero con el formato safetensors"
    ),
    "engine.hub.refused": "el Hub rechazó la subida a {repo} (HTTP {status}): {hint}",
    "engine.hub.http_401": "el token fue rechazado; compruébalo",
    "engine.hub.http_403": "el token no puede escribir en este repositorio; usa un token con permiso de escritura",
    "engine.hub.unreachable": "no se pudo contactar con el Hugging Face Hub ({kind}: {first}); comprueba la red",
}
