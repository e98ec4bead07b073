// Experiments on this machine's shell: the commands as shown are the commands run, the store knows
// the change before the first command and after each, a failing step stops the rest, revert undoes
// what was applied (newest first), and sudo's refusal comes with the sudoers line that allows it.
#include "experiment/experiment.h"
#include "results/runstore.h"
#include "transport/localtransport.h"

#include <QFile>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

using namespace nestscope;

namespace {

Finding findingWith(const QList<FixStep> &fix)
{
    Finding f;
    f.id = QStringLiteral("test-finding");
    f.title = QStringLiteral("A test finding");
    f.fix = fix;
    return f;
}

} // namespace

class TestExperiment : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void stepsGetSudoWhereTheyNeedRoot()
    {
        const Finding f = findingWith({
            { QStringLiteral("lxc network set lxdbr0 ipv4.nat true"),
                QStringLiteral("lxc network set lxdbr0 ipv4.nat false"), QString() },
            { QStringLiteral("iptables -I FORWARD -i lxdbr0 -j ACCEPT"),
                QStringLiteral("iptables -D FORWARD -i lxdbr0 -j ACCEPT"), QString() },
            { QStringLiteral("nft insert rule inet t forward 'iifname \"lxdbr0\" accept'"),
                QStringLiteral("nft -a list chain inet t forward | sed -n 's/x/y/p'"), QString() },
            { QStringLiteral("incus restart vm2"), QString(), QString() },
        });
        const QList<ExperimentStep> asRoot = experimentSteps(f, true);
        QCOMPARE(asRoot.size(), 4);
        for (int i = 0; i < 4; ++i) {
            QCOMPARE(asRoot.at(i).command, f.fix.at(i).command);
            QCOMPARE(asRoot.at(i).revert, f.fix.at(i).revert);
        }
        const QList<ExperimentStep> user = experimentSteps(f, false);
        QCOMPARE(user.at(0).command, f.fix.at(0).command); // LXD's group, not root
        QCOMPARE(user.at(1).command, QStringLiteral("sudo -n iptables -I FORWARD -i lxdbr0 -j ACCEPT"));
        QCOMPARE(user.at(1).revert, QStringLiteral("sudo -n iptables -D FORWARD -i lxdbr0 -j ACCEPT"));
        QCOMPARE(user.at(2).command,
            QStringLiteral("sudo -n sh -c 'nft insert rule inet t forward '\\''iifname \"lxdbr0\" accept'\\'''"));
        QCOMPARE(user.at(3).command, f.fix.at(3).command);
        QVERIFY(user.at(3).revert.isEmpty());
    }

    void applyRunsExactlyTheShownCommandsAndRevertUndoesThem()
    {
        QTemporaryDir dir;
        RunStore store;
        QVERIFY(store.open(dir.filePath(QStringLiteral("store.db"))).ok());
        const QString a = dir.filePath(QStringLiteral("a"));
        const QString b = dir.filePath(QStringLiteral("b"));
        Experiment e;
        e.runner = QStringLiteral("local");
        e.findingId = QStringLiteral("test-finding");
        e.title = QStringLiteral("Create two files");
        // the first step checks that the store already knows the experiment while it runs
        e.steps
            = experimentSteps(findingWith({ { QStringLiteral("touch %1").arg(a), QStringLiteral("rm %1").arg(a), {} },
                                  { QStringLiteral("touch %1").arg(b), QStringLiteral("rm %1").arg(b), {} } }),
                true);
        LocalTransport local;
        ExperimentRunner runner(&local, &store);
        QStringList seenInStore;
        connect(&runner, &ExperimentRunner::commandStarted, this, [&] {
            for (const Experiment &x : store.experiments()) {
                seenInStore << QStringLiteral("%1:%2").arg(toText(x.state)).arg(x.applied);
            }
        });
        QSignalSpy done(&runner, &ExperimentRunner::finished);
        const auto id = runner.apply(e);
        QVERIFY(id.ok());
        QVERIFY(done.wait(30000));
        QCOMPARE(done.first().at(0).toBool(), true);
        // recorded before the first command, updated after it
        QCOMPARE(seenInStore, (QStringList { QStringLiteral("applying:0"), QStringLiteral("applying:1") }));
        QVERIFY(QFile::exists(a) && QFile::exists(b));
        QCOMPARE(runner.commandsSent(), (QStringList { e.steps.at(0).command, e.steps.at(1).command }));
        auto stored = store.experiment(*id);
        QVERIFY(stored);
        QCOMPARE(stored->state, ExperimentState::Applied);
        QCOMPARE(stored->applied, 2);
        QVERIFY(stored->pending());
        QCOMPARE(stored->steps, e.steps);
        QVERIFY(stored->log.contains(QStringLiteral("$ touch ")));
        QCOMPARE(stored->revertCommands(), (QStringList { e.steps.at(1).revert, e.steps.at(0).revert }));

        // a new runner, as after a restart: the store's record is all it has
        ExperimentRunner again(&local, &store);
        QSignalSpy reverted(&again, &ExperimentRunner::finished);
        QVERIFY(again.revert(*stored).ok());
        QVERIFY(reverted.wait(30000));
        QCOMPARE(reverted.first().at(0).toBool(), true);
        QVERIFY(!QFile::exists(a) && !QFile::exists(b));
        QCOMPARE(again.commandsSent(), stored->revertCommands());
        stored = store.experiment(*id);
        QCOMPARE(stored->state, ExperimentState::Reverted);
        QCOMPARE(stored->applied, 0);
        QVERIFY(!stored->pending());
    }

    void aFailingStepStopsTheRest()
    {
        QTemporaryDir dir;
        RunStore store;
        QVERIFY(store.open(dir.filePath(QStringLiteral("store.db"))).ok());
        const QString a = dir.filePath(QStringLiteral("a"));
        const QString c = dir.filePath(QStringLiteral("c"));
        Experiment e;
        e.title = QStringLiteral("Second step fails");
        e.steps = { { QStringLiteral("touch %1").arg(a), QStringLiteral("rm %1").arg(a), {} },
            { QStringLiteral("echo 'no such chain' >&2; exit 4"), QStringLiteral("true"), {} },
            { QStringLiteral("touch %1").arg(c), QStringLiteral("rm %1").arg(c), {} } };
        LocalTransport local;
        ExperimentRunner runner(&local, &store);
        QSignalSpy done(&runner, &ExperimentRunner::finished);
        const auto id = runner.apply(e);
        QVERIFY(id.ok());
        QVERIFY(done.wait(30000));
        QCOMPARE(done.first().at(0).toBool(), false);
        QVERIFY(QFile::exists(a));
        QVERIFY(!QFile::exists(c)); // nothing after the failure ran
        QCOMPARE(runner.commandsSent().size(), 2);
        const auto stored = store.experiment(*id);
        QCOMPARE(stored->state, ExperimentState::Failed);
        QCOMPARE(stored->applied, 1);
        QVERIFY(stored->pending()); // the first step is still on the runner
        QVERIFY2(stored->error.contains(QStringLiteral("nothing after it ran")), qPrintable(stored->error));
        QVERIFY2(stored->error.contains(QStringLiteral("no such chain")), qPrintable(stored->error));
        QCOMPARE(stored->revertCommands(), (QStringList { QStringLiteral("rm %1").arg(a) }));
    }

    void aStoreThatCannotRecordRunsNothing()
    {
        QTemporaryDir dir;
        const QString file = dir.filePath(QStringLiteral("store.db"));
        RunStore store;
        QVERIFY(store.open(file).ok());
        // the experiments table gone underneath (another process, a damaged file): recording fails
        {
            QSqlDatabase raw = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("raw"));
            raw.setDatabaseName(file);
            QVERIFY(raw.open());
            QSqlQuery q(raw);
            QVERIFY(q.exec(QStringLiteral("DROP TABLE experiments")));
            raw.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("raw"));
        const QString a = dir.filePath(QStringLiteral("a"));
        Experiment e;
        e.steps = { { QStringLiteral("touch %1").arg(a), QStringLiteral("rm %1").arg(a), {} } };
        LocalTransport local;
        ExperimentRunner runner(&local, &store);
        const auto id = runner.apply(e);
        QVERIFY(!id.ok());
        QVERIFY2(id.error().message.contains(QStringLiteral("nothing was changed")), qPrintable(id.error().message));
        QVERIFY(!runner.isBusy());
        QVERIFY(runner.commandsSent().isEmpty());
        QVERIFY(!QFile::exists(a));
    }

    void sudoRefusalNamesTheSudoersLine()
    {
        CommandResult r;
        r.outcome = CommandOutcome::Exited;
        r.exitCode = 1;
        r.stdErr = "sudo: a password is required\n";
        const QString advice = sudoAdvice(QStringLiteral("sudo -n iptables -I FORWARD -i lxdbr0 -j ACCEPT"), r,
            QStringLiteral("nslab"), QStringLiteral("/usr/sbin/iptables"));
        QVERIFY2(advice.contains(
                     QStringLiteral("nslab ALL=(root) NOPASSWD: /usr/sbin/iptables -I FORWARD -i lxdbr0 -j ACCEPT")),
            qPrintable(advice));
        QVERIFY(advice.contains(QStringLiteral("visudo")));
        // sysctl's "=" is escaped as sudoers wants it
        const QString sysctl = sudoAdvice(QStringLiteral("sudo -n sysctl -w net.ipv4.ip_forward=1"), r,
            QStringLiteral("nslab"), QStringLiteral("/usr/sbin/sysctl"));
        QVERIFY2(sysctl.contains(QStringLiteral("NOPASSWD: /usr/sbin/sysctl -w net.ipv4.ip_forward\\=1")),
            qPrintable(sysctl));
        // a shell script runs as sh -c with the script as sh receives it
        const QString sh = sudoAdvice(QStringLiteral("sudo -n sh -c 'nft list ruleset | grep x'"), r,
            QStringLiteral("nslab"), QStringLiteral("/usr/bin/sh"));
        QVERIFY2(sh.contains(QStringLiteral("NOPASSWD: /usr/bin/sh -c nft list ruleset | grep x")), qPrintable(sh));
        // not sudo's failure: no advice
        r.stdErr = "iptables: No chain/target/match by that name.\n";
        QVERIFY(
            sudoAdvice(QStringLiteral("sudo -n iptables -D FORWARD -j X"), r, QStringLiteral("nslab"), {}).isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestExperiment)
#include "tst_experiment.moc"
