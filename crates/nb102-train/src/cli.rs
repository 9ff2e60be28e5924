//! What the run commands of `nb102-train` and `nb102-weight-sharing` share: where a run reads, writes and runs
//! ([`RunPlace`], options that change no number), and the steps around the run itself.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use nb102_command::Failure;
use nb102_model::DeviceSpec;
use nb102_store::Setting;
use tch::Device;

use nb102_loader::SettingData;

/// Where a run reads its data, writes its output and runs.
#[derive(Debug, clap::Args)]
pub struct RunPlace {
    /// Folder holding the dataset (docs/TRAINING.md has the layouts).
    #[arg(long)]
    pub data_dir: PathBuf,
    /// Folder of the official split files (cifar-split.txt, cifar100-test-split.txt, …).
    #[arg(long)]
    pub splits_dir: Option<PathBuf>,
    /// The file to write; its checkpoint is OUT.ckpt, removed once OUT is written.
    #[arg(long)]
    pub out: PathBuf,
    /// auto, cpu or cuda:N.
    #[arg(long, default_value = "auto")]
    pub device: DeviceSpec,
    /// Threads of libtorch's CPU operators (default: libtorch's choice, one per core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Continue from OUT.ckpt if it exists.
    #[arg(long)]
    pub resume: bool,
    /// One line per epoch instead of a progress bar.
    #[arg(long)]
    pub quiet: bool,
}

impl RunPlace {
    /// The device, with libtorch's CPU threads set as `--threads` asks.
    ///
    /// # Errors
    /// A device that is not there, or 0 threads (the input's).
    pub fn device(&self) -> Result<Device, Failure> {
        let device = self.device.resolve().map_err(Failure::input)?;
        match self.threads {
            Some(0) => return Err(Failure::input(anyhow::anyhow!("invalid --threads: expected 1 or more, found 0"))),
            Some(n) => tch::set_num_threads(i32::try_from(n).unwrap_or(i32::MAX)),
            None => {}
        }
        Ok(device)
    }

    /// The checkpoint's path, once the output and the checkpoint are checked as outputs: before the data is read
    /// and the run starts, not after it.
    ///
    /// # Errors
    /// An output that cannot be written (`Failure::written`).
    pub fn checkpoint(&self) -> Result<PathBuf, Failure> {
        let checkpoint = nb102_store::checkpoint_path(&self.out);
        for path in [&self.out, &checkpoint] {
            nb102_store::check_output(path).map_err(Failure::written)?;
        }
        Ok(checkpoint)
    }

    /// The data of `setting`, cut to `subset` images.
    ///
    /// # Errors
    /// Data that is missing or not what its files should be (the input's).
    pub fn data(&self, setting: Setting, subset: Option<usize>) -> Result<SettingData, Failure> {
        let data = SettingData::load(setting, &self.data_dir, self.splits_dir.as_deref()).map_err(Failure::input)?;
        Ok(match subset {
            Some(n) => data.subset(n),
            None => data,
        })
    }

    /// A progress bar of `len` steps drawn with `template`, hidden with `--quiet` or when stderr is not a terminal.
    pub fn bar(&self, len: u64, template: &str) -> ProgressBar {
        if self.quiet || !std::io::stderr().is_terminal() {
            ProgressBar::hidden()
        } else {
            ProgressBar::new(len).with_style(ProgressStyle::with_template(template).expect("a valid template"))
        }
    }

    /// Writes the output with `write` and removes the checkpoint: the run is then done.
    ///
    /// # Errors
    /// Writing the output or removing the checkpoint failing (the machine's).
    pub fn finish<E: Into<anyhow::Error>>(
        &self,
        checkpoint: &Path,
        write: impl FnOnce(&Path) -> Result<(), E>,
    ) -> Result<(), Failure> {
        write(&self.out).map_err(|e| Failure::Machine(e.into()))?;
        std::fs::remove_file(checkpoint)
            .with_context(|| format!("removing {}", checkpoint.display()))
            .map_err(Failure::Machine)
    }
}
