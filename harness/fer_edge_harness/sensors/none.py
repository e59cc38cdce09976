"""`none`: no power sensor. Stage 3 then records why its power fields are empty instead of
inventing watts. Python 3.6 compatible."""

from fer_edge_harness.sensors.base import Sensor, SensorSpecError


class NoSensor(Sensor):
    name = "none"

    def __init__(self, spec):
        super(NoSensor, self).__init__(spec)
        if spec.target:
            raise SensorSpecError(spec, "takes no device")

    def start(self):
        pass

    def stop(self):
        return []
