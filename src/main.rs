fn main() -> std::process::ExitCode {
    quotedesk::cli::main()
}
