"""What the engine tells a person (`cnnapp.messages`), by its code: `engine.<code>`, with the same `{fields}` as the
English. The English is the engine's own (`cnnapp.messages.ENGLISH`, listed here so both tables have every code); a
page in English renders with `ENGLISH` itself, a Spanish page with `ES`. See `cnnapp.ui.common.engine_text`."""

from cnnapp.messages import ENGLISH

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
}
