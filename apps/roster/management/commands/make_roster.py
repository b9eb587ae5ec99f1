from django.core.management.base import BaseCommand

from apps.roster.generate import write


class Command(BaseCommand):
    help = "Write a realistic, messy roster (.xlsx): title rows, siblings, duplicates, mixed phone and date forms."

    def add_arguments(self, parser):
        parser.add_argument("out", help="Where to write the .xlsx file.")
        parser.add_argument("--rows", type=int, default=843)
        parser.add_argument("--errors", type=int, default=5, help="Rows made invalid on purpose (default 5).")
        parser.add_argument("--seed", type=int, default=843)

    def handle(self, *args, **options):
        path = write(options["out"], options["rows"], seed=options["seed"], errors=options["errors"])
        self.stdout.write(f"{path}: {options['rows']} rows, {options['errors']} invalid on purpose")
