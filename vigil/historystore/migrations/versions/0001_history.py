"""The history store: series, runs, their checks, scores and findings, finding lifecycles.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "vigil_series",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("latest_run", sa.Integer, nullable=True),
        sa.Column("runs", sa.Integer, nullable=False),
    )
    op.create_table(
        "vigil_runs",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(64), nullable=False, unique=True),
        sa.Column("series_id", sa.Integer, sa.ForeignKey("vigil_series.id"), nullable=False),
        sa.Column("previous_run", sa.Integer, nullable=True),
        sa.Column("mode", sa.String(32), nullable=False),
        sa.Column("started_at", TZ, nullable=True),
        sa.Column("finished_at", TZ, nullable=False),
        sa.Column("as_of", TZ, nullable=True),
        sa.Column("recorded_at", TZ, nullable=False),
        sa.Column("tool_version", sa.String(64), nullable=True),
        sa.Column("baseline", sa.String(200), nullable=True),
        sa.Column("baseline_version", sa.String(64), nullable=True),
        sa.Column("config", sa.Text, nullable=True),
        sa.Column("waivers_applied", sa.Boolean, nullable=False),
        sa.Column("fail_on", sa.String(16), nullable=True),
        sa.Column("gate_passed", sa.Boolean, nullable=True),
        sa.Column("blocking", sa.Integer, nullable=True),
        sa.Column("score", sa.Float, nullable=True),
        sa.Column("coverage", sa.Float, nullable=True),
        sa.Column("findings", sa.Integer, nullable=False),
        sa.Column("failing", sa.Integer, nullable=False),
        sa.Column("waived", sa.Integer, nullable=False),
        sa.Column("new", sa.Integer, nullable=False),
        sa.Column("fixed", sa.Integer, nullable=False),
        sa.Column("reopened", sa.Integer, nullable=False),
        sa.Column("summary", sa.JSON, nullable=True),
    )
    op.create_index("vigil_runs_series", "vigil_runs", ["series_id", "seq"])
    op.create_table(
        "vigil_run_checks",
        sa.Column(
            "run_seq", sa.Integer, sa.ForeignKey("vigil_runs.seq", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("check_id", sa.String(200), primary_key=True),
        sa.Column("title", sa.Text, nullable=True),
        sa.Column("severity", sa.String(16), nullable=True),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "vigil_run_scores",
        sa.Column(
            "run_seq", sa.Integer, sa.ForeignKey("vigil_runs.seq", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("scope", sa.String(16), primary_key=True),
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("score", sa.Float, nullable=True),
        sa.Column("coverage", sa.Float, nullable=True),
        sa.Column("status", sa.String(16), nullable=True),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "vigil_findings",
        sa.Column("series_id", sa.Integer, sa.ForeignKey("vigil_series.id"), primary_key=True),
        sa.Column("fingerprint", sa.String(64), primary_key=True),
        sa.Column("check_id", sa.String(200), nullable=False),
        sa.Column("resource", sa.Text, nullable=False),
        sa.Column("control_ids", sa.JSON, nullable=True),
        sa.Column("location", sa.JSON, nullable=True),
        sa.Column("state", sa.String(16), nullable=True),
        sa.Column("first_seen_run", sa.Integer, nullable=True),
        sa.Column("first_seen_at", TZ, nullable=True),
        sa.Column("last_seen_run", sa.Integer, nullable=True),
        sa.Column("opened_run", sa.Integer, nullable=True),
        sa.Column("opened_at", TZ, nullable=True),
        sa.Column("state_since", TZ, nullable=True),
        sa.Column("fixed_run", sa.Integer, nullable=True),
        sa.Column("fixed_at", TZ, nullable=True),
        sa.Column("reopened", sa.Integer, nullable=False),
        sa.Column("fix_seconds", sa.Float, nullable=True),
        sqlite_with_rowid=False,
    )
    op.create_index("vigil_findings_state", "vigil_findings", ["series_id", "state", "check_id"])
    op.create_table(
        "vigil_run_findings",
        sa.Column(
            "run_seq", sa.Integer, sa.ForeignKey("vigil_runs.seq", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("fingerprint", sa.String(64), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("waiver_id", sa.Text, nullable=True),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    for table in ("vigil_run_findings", "vigil_findings", "vigil_run_scores", "vigil_run_checks"):
        op.drop_table(table)
    op.drop_index("vigil_runs_series", table_name="vigil_runs")
    op.drop_table("vigil_runs")
    op.drop_table("vigil_series")
