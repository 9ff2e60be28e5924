//! `nb102 arch …`: the search space from the command line, without any benchmark file.

use std::io::Write;

use clap::Subcommand;
use nb102_space::{class_members, num_classes, official_archs, Arch, UniqueMode};
use serde_json::json;

use nb102_command::Failure;

#[derive(Subcommand)]
pub(crate) enum ArchCommand {
    /// Every cell in official order, one `INDEX<TAB>ARCH` line each.
    List,
    /// The official index of a cell, given any equivalent spelling of its string.
    Index {
        /// An architecture string, such as `|nor_conv_3x3~0|+|nor_conv_3x3~1|+|skip_connect~0|skip_connect~2|`.
        arch: String,
    },
    /// The canonical string of an official index.
    Str {
        /// An official index, 0 to 15624.
        #[arg(allow_hyphen_values = true)]
        index: String,
    },
    /// Index, canonical string, validity, isomorphism class and encodings of one cell.
    Info {
        /// An official index or an architecture string.
        #[arg(allow_hyphen_values = true)]
        arch: String,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Counts over the space: cells, valid cells, isomorphism classes.
    Stats {
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
}

pub(crate) fn run(command: ArchCommand, out: &mut impl Write) -> Result<(), Failure> {
    match command {
        ArchCommand::List => {
            for (index, arch) in official_archs().enumerate() {
                writeln!(out, "{index}\t{arch}")?;
            }
        }
        ArchCommand::Index { arch } => writeln!(out, "{}", parse_arch(&arch)?.official_index())?,
        ArchCommand::Str { index } => writeln!(out, "{}", parse_index(&index)?)?,
        ArchCommand::Info { arch, json } => {
            let arch = Arch::from_index_or_str(&arch).map_err(Failure::input)?;
            let m = arch.adjacency_matrix();
            let info = json!({
                "index": arch.official_index(),
                "arch": arch.to_string(),
                "valid": arch.is_valid(),
                "unique_str": arch.unique_str(UniqueMode::PruneZero),
                "class_id": arch.class_id(),
                "class_size": class_members(arch.class_id()).len(),
                "op_digits": arch.op_digits(),
                "enumeration_index": arch.enumeration_index(),
                "matrix": m,
            });
            if json {
                writeln!(out, "{info}")?;
            } else {
                for key in
                    ["index", "arch", "valid", "unique_str", "class_id", "class_size", "op_digits", "enumeration_index"]
                {
                    let value = &info[key];
                    writeln!(out, "{key:<18}{}", value.as_str().map_or_else(|| value.to_string(), str::to_owned))?;
                }
                writeln!(out, "{:<18}{m:?}", "matrix")?;
            }
        }
        ArchCommand::Stats { json } => {
            let valid = official_archs().filter(Arch::is_valid).count();
            let (total, unique) = (official_archs().len(), num_classes());
            if json {
                writeln!(out, "{}", json!({ "total": total, "valid": valid, "unique_classes": unique }))?;
            } else {
                writeln!(out, "total           {total}\nvalid           {valid}\nunique_classes  {unique}")?;
            }
        }
    }
    Ok(())
}

/// An architecture string in any spelling `Arch` accepts.
fn parse_arch(text: &str) -> Result<Arch, Failure> {
    text.parse().map_err(Failure::input)
}

/// An official index written in decimal digits, as every command takes one.
fn parse_index(text: &str) -> Result<Arch, Failure> {
    Arch::from_index_text(text).map_err(Failure::input)
}
