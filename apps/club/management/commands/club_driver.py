import asyncio

from django.core.management.base import BaseCommand

from apps.club import driver


class Command(BaseCommand):
    help = "Run the club table driver (clocks, deals, lobby digest) on its own, beside or instead of the web processes."

    def handle(self, *args, **options):
        self.stdout.write(f"club driver {driver.PROCESS}: driving every club's tables it holds the lease of")
        asyncio.run(driver.run())
