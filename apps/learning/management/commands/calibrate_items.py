from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import schema_context

from apps.learning.models import Exam
from apps.learning.services import calibration


class Command(BaseCommand):
    help = (
        "Estimate the 3PL (or 2PL) parameters of a zone's live and pretest items from the answers "
        "collected (MMLE/EM), promote pretest items with enough answers; with --exposure EXAM_ID, "
        "Sympson-Hetter exposure parameters of an adaptive exam's bank by simulation."
    )

    def add_arguments(self, parser):
        parser.add_argument("--schema", required=True, help="The zone's schema.")
        parser.add_argument("--model", choices=["2pl", "3pl"], default="3pl")
        parser.add_argument("--min-responses", type=int, default=200)
        parser.add_argument("--promote-after", type=int, default=500)
        parser.add_argument("--dry-run", action="store_true")
        parser.add_argument("--exposure", type=int, metavar="EXAM_ID", help="Calibrate Sympson-Hetter K instead.")
        parser.add_argument("--target", type=float, default=0.25, help="Largest exposure rate (with --exposure).")
        parser.add_argument("--simulees", type=int, default=1000)

    def handle(self, *args, **options):
        with schema_context(options["schema"]):
            if options["exposure"]:
                exam = Exam.objects.filter(pk=options["exposure"]).first()
                if exam is None:
                    raise CommandError(f"no exam {options['exposure']} in {options['schema']}")
                rate = calibration.calibrate_exposure(exam, target=options["target"], simulees=options["simulees"])
                self.stdout.write(f"K stored; largest exposure in the last simulation {rate:.3f}")
                return
            report = calibration.calibrate_items(
                model=options["model"],
                min_responses=options["min_responses"],
                promote_after=options["promote_after"],
                dry_run=options["dry_run"],
            )
        self.stdout.write(
            f"{report.model}: {len(report.calibrated)} items from {report.persons} examinees "
            f"({report.iterations} EM cycles, {'converged' if report.converged else 'NOT converged'}); "
            f"{len(report.promoted)} promoted to live; {len(report.skipped)} with too few answers"
            + (" — dry run, nothing written" if options["dry_run"] else "")
        )
