from django.db import models


class Heartbeat(models.Model):
    """The last time a long-running part of kyocho (the task worker, the scheduler) showed it was alive."""

    name = models.CharField(max_length=50, unique=True)
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} @ {self.at.isoformat()}"
