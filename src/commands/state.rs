//! `vmsched state export`: the live scheduling state, judged as a pass would judge it, in the
//! state-file format, so a pass can be replayed anywhere with `schedule-once --state`.

use crate::output;
use crate::pass::judge;
use crate::store::{settings, Mode};
use crate::Ctx;
use anyhow::Result;
use std::io::Write;

pub(crate) fn export(ctx: &Ctx, out: &mut dyn Write) -> Result<()> {
    let store = ctx.open(Mode::Read)?;
    let loaded = store.read(|tx| judge(tx, &settings::load(tx)?))?;
    output::json(out, &loaded.state)
}
