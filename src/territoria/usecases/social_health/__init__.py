"""Use case 3: social and health conditions — income and poverty (INSEE Filosofi), heat
vulnerability, with INSEE's statistical secrecy kept at publication."""
