"""Use case 1: energy consumption and greenhouse-gas emissions, with statistical secrecy."""
