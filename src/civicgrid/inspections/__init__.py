"""Market-supervision inspections (SPEC C10): businesses and their licences,
special equipment and measuring instruments, checklists authored as XLSForm,
campaigns with their random draw (双随机、一公开), inspections on a phone,
rectification orders and re-checks (回头看)."""
