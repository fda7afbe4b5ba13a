"""Use case 4: climate adaptation (urban heat island measured by LoRaWAN temperature sensors)."""
