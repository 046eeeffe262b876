from leadsync.cli import app

app(prog_name="leadsync")
