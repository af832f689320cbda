import ArgumentParser
import Darkscan

@main
struct DarkscanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "darkscan",
        abstract: "Columnar event store and skimming tool for missing-energy experiments.",
        discussion: """
            Examples:
              darkscan simulate --run 4242 --events 100000 -o cdr01001-004242.dat
              darkscan convert cdr01001-004242.dat -o run4242.evc
              darkscan simulate --run 4243 --events 1000000 -o run4243.evc
              darkscan info run4242.evc
              darkscan cat run4242.evc --columns event,ecal_e,veto --limit 10
              darkscan count run4242.evc --where "missing energy > 50 GeV, veto == 0"
              darkscan skim run4242.evc --where "missing energy > 50 GeV, veto == 0" -o candidates.evc
              darkscan merge 'skims/*.evc' -o all.evc
              darkscan verify 'data/*.evc'

            Exit codes: 0 success; 1 damaged, incomplete or unreadable input (or problems found \
            by verify, or a bad raw event under convert --strict, or inputs merge cannot join); 2 an error in a query; 64 bad \
            command-line usage.
            """,
        version: DarkscanVersion.current,
        subcommands: [InfoCommand.self, CatCommand.self, CountCommand.self, SkimCommand.self, MergeCommand.self, ExportCommand.self, VerifyCommand.self, RecoverCommand.self, SimulateCommand.self, ConvertCommand.self, HistCommand.self, PlotCommand.self, PlanCommand.self]
    )

    /// `--cluster` may be given without a value (a LocalCluster): see `ClusterOptions.normalize`.
    static func main() {
        main(ClusterOptions.normalize(Array(CommandLine.arguments.dropFirst())))
    }
}
