"""Gradio's own text of a request waiting in its queue (its i18n key `status.queue_position`), which it lacks in
Spanish. English is gradio's own, repeated so that both tables have the key."""

EN = {
    "status.queue_position": "In queue: {position} of {size}",
}
ES = {
    "status.queue_position": "En cola: {position} de {size}",
}
