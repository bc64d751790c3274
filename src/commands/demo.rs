pub fn run(_cli: &crate::cli::Cli) -> anyhow::Result<std::process::ExitCode> {
    anyhow::bail!("demo: being written")
}
