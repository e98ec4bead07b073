#include "cli.h"
#include "mainwindow.h"
#include "reportcommand.h"
#include "results/runstore.h"
#include "settingsdialog.h"

#include <QApplication>
#include <QCoreApplication>
#include <QGuiApplication>
#include <QSettings>
#include <QTextStream>

#include <cstdio>

namespace {

bool haveDisplay(const nestscope::WorkbenchOptions &options)
{
    if (options.platformChosen || !qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) {
        return true; // the user chose a platform (offscreen, vnc, ...): trust it
    }
    return !qEnvironmentVariableIsEmpty("DISPLAY") || !qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY");
}

QtMessageHandler g_qtMessages = nullptr;

/// Qt says once that XDG_RUNTIME_DIR is unset (root, sudo, a CI job) and then uses a private
/// folder under /tmp, which is all Nestscope needs: in a CI log the line only alarms.
void quietQtMessages(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    if (type == QtWarningMsg && message.startsWith(QLatin1String("QStandardPaths: XDG_RUNTIME_DIR not set"))) {
        return;
    }
    g_qtMessages(type, context, message);
}

void setIdentity()
{
    QCoreApplication::setOrganizationName(QStringLiteral("Nestscope"));
    QCoreApplication::setApplicationName(QStringLiteral("nestscope"));
    QCoreApplication::setApplicationVersion(QStringLiteral(NESTSCOPE_VERSION));
}

// A headless command: the arguments without the command's own name, in a QCoreApplication.
int headless(int argc, char *argv[], int (*command)(const QStringList &))
{
    QCoreApplication app(argc, argv);
    setIdentity();
    QStringList args = QCoreApplication::arguments();
    args.removeAt(1); // the command's name
    return command(args);
}

// A headless command that draws (a PDF needs fonts): a QGuiApplication, never a window, rendering
// offscreen unless the user chose a platform.
int drawing(int argc, char *argv[], int (*command)(const QStringList &))
{
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) {
        qputenv("QT_QPA_PLATFORM", "offscreen");
    }
    QGuiApplication app(argc, argv);
    setIdentity();
    QStringList args = QCoreApplication::arguments();
    args.removeAt(1); // the command's name
    return command(args);
}

bool wantsPdf(int argc, char *argv[])
{
    for (int i = 2; i < argc; ++i) {
        if (qstrcmp(argv[i], "--pdf") == 0 || qstrncmp(argv[i], "--pdf=", 6) == 0 || qstrcmp(argv[i], "-pdf") == 0) {
            return true;
        }
    }
    return false;
}

} // namespace

int main(int argc, char *argv[])
{
    g_qtMessages = qInstallMessageHandler(quietQtMessages);
    if (argc >= 2 && qstrcmp(argv[1], "run") == 0) {
        return (wantsPdf(argc, argv) ? drawing : headless)(argc, argv, &nestscope::runCommand);
    }
    if (argc >= 2 && qstrcmp(argv[1], "report") == 0) {
        return (wantsPdf(argc, argv) ? drawing : headless)(argc, argv, &nestscope::reportCommand);
    }
    if (argc >= 2 && qstrcmp(argv[1], "diagnose") == 0) {
        return headless(argc, argv, &nestscope::diagnoseCommand);
    }
    if (argc >= 2 && qstrcmp(argv[1], "experiment") == 0) {
        return headless(argc, argv, &nestscope::experimentCommand);
    }
    if (argc >= 2 && qstrcmp(argv[1], "topology") == 0) {
        // Drawing the graph needs a GUI application, never a window: render offscreen unless the
        // user chose a platform.
        if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) {
            qputenv("QT_QPA_PLATFORM", "offscreen");
        }
        QApplication app(argc, argv);
        setIdentity();
        QStringList args = QCoreApplication::arguments();
        args.removeAt(1); // "topology"
        return nestscope::topologyCommand(args);
    }
    // Bad arguments, --help and --version are answered before (and without) a display.
    QStringList arguments;
    for (int i = 0; i < argc; ++i) {
        arguments << QString::fromLocal8Bit(argv[i]);
    }
    nestscope::WorkbenchOptions options;
    if (const int exitCode = nestscope::parseWorkbenchArguments(arguments, &options); exitCode >= 0) {
        return exitCode;
    }
    if (!haveDisplay(options)) {
        QCoreApplication app(argc, argv);
        // packaging/start.sh names itself, so the headless command shown is one that works as typed.
        const QString launcher = qEnvironmentVariableIsEmpty("NESTSCOPE_LAUNCHER")
            ? QStringLiteral("nestscope")
            : qEnvironmentVariable("NESTSCOPE_LAUNCHER");
        QTextStream(stderr) << "nestscope: there is no display (neither DISPLAY nor WAYLAND_DISPLAY is set), so the "
                               "workbench cannot open.\n"
                               "Run it from a desktop session or over `ssh -X`, or use the headless mode, e.g.:\n"
                               "  "
                            << launcher << " run --local --plan builtin:local-basics --json -\n\n"
                            << nestscope::cliUsage();
        return 1;
    }

    QApplication app(argc, argv);
    setIdentity();
    QApplication::setApplicationDisplayName(QStringLiteral("Nestscope"));

    QSettings stored;
    const auto settings = nestscope::AppSettings::load(stored);
    nestscope::applyTheme(settings.theme);

    nestscope::MainWindow window;
    window.setAppSettings(settings);
    // Every run is kept as it goes; a store that cannot be opened is a warning, not a stop.
    window.openStore(nestscope::RunStore::defaultPath());
    const QString plan = options.plan.isEmpty() ? settings.defaultPlan : options.plan;
    if (const auto ok = window.openPlan(plan, options.vars); !ok) {
        QTextStream(stderr) << "nestscope: " << ok.error().toString() << "\n";
        // A default plan file that moved away should not leave the window without a plan.
        if (options.plan.isEmpty() && plan != nestscope::AppSettings().defaultPlan) {
            window.openPlan(nestscope::AppSettings().defaultPlan, options.vars);
        }
    }
    window.rememberLayout();
    window.show();
    return app.exec();
}
