#include "clirun.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QProcessEnvironment>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QSysInfo>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

// The command-line mode as a CI job uses it: the real binary, real plans, exit codes and JSON.
class TestCli : public QObject {
    Q_OBJECT

private:
    using Outcome = nestscope::test::CliOutcome;

    static Outcome nestscope(
        const QStringList &args, const QProcessEnvironment &env = QProcessEnvironment::systemEnvironment())
    {
        return nestscope::test::runNestscope(args, env);
    }

    static QString data(const QString &name) { return QStringLiteral(NESTSCOPE_TEST_DATA_DIR "/plans/") + name; }

private Q_SLOTS:
    void experimentShowsTheCommandsAndRunsNothingWithoutYes()
    {
        // The recorded forward-drop run's fix, on this machine as root: no sudo in front, and
        // nothing runs (--dry-run, or no --yes). Nothing is left pending in the store either.
        QTemporaryDir dir;
        const QString store = dir.filePath(QStringLiteral("store.sqlite"));
        const QString run = QStringLiteral(NESTSCOPE_TEST_DATA_DIR "/runs/scenarios/forward-drop.json");
        for (const QStringList &extra : { QStringList { QStringLiteral("--dry-run") }, QStringList {} }) {
            const auto r = nestscope(QStringList { QStringLiteral("experiment"), run, QStringLiteral("--local"),
                                         QStringLiteral("--store"), store }
                + extra);
            QVERIFY2(r.exitCode == (extra.isEmpty() ? 2 : 0), r.err.constData());
            QVERIFY2(r.err.contains("Experiment: "), r.err.constData());
            const QByteArray first = ::geteuid() == 0 ? "  1. iptables -I FORWARD -i lxdbr0 -j ACCEPT\n"
                                                      : "  1. sudo -n iptables -I FORWARD -i lxdbr0 -j ACCEPT\n";
            QVERIFY2(r.err.contains(first), r.err.constData());
            QVERIFY2(r.err.contains("     revert: "), r.err.constData());
            QVERIFY2(r.err.contains("Nothing was run"), r.err.constData());
        }
        const auto list
            = nestscope({ QStringLiteral("experiment"), QStringLiteral("--list"), QStringLiteral("--store"), store });
        QCOMPARE(list.exitCode, 0);
        QVERIFY2(list.out.contains("No experiments"), list.out.constData());
        // usage errors say what to do
        const auto none = nestscope({ QStringLiteral("experiment"), QStringLiteral("--store"), store });
        QCOMPARE(none.exitCode, 2);
        QVERIFY2(none.err.contains("say which run's finding to try"), none.err.constData());
        const auto healthy = nestscope(
            { QStringLiteral("experiment"), QStringLiteral(NESTSCOPE_TEST_DATA_DIR "/runs/scenarios/healthy.json"),
                QStringLiteral("--local"), QStringLiteral("--store"), store });
        QCOMPARE(healthy.exitCode, 2);
        QVERIFY2(healthy.err.contains("has no finding with a fix to try"), healthy.err.constData());
        const auto both = nestscope({ QStringLiteral("experiment"), run, QStringLiteral("--local"),
            QStringLiteral("--dry-run"), QStringLiteral("--yes"), QStringLiteral("--store"), store });
        QCOMPARE(both.exitCode, 2);
    }

    // The run's JSON carries the verdict, read with the topology the run met; without a
    // snapshot there is none, and stderr says why.
    void runJsonCarriesTheDiagnosis()
    {
        const auto r = nestscope({ QStringLiteral("run"), QStringLiteral("--local"), QStringLiteral("--plan"),
            data(QStringLiteral("two-probes.yaml")), QStringLiteral("--json"), QStringLiteral("-") });
        QCOMPARE(r.exitCode, 1);
        const QJsonObject o = QJsonDocument::fromJson(r.out).object();
        const QJsonObject d = o.value(QStringLiteral("diagnosis")).toObject();
        QCOMPARE(d.value(QStringLiteral("format")).toString(), QStringLiteral("nestscope-diagnosis"));
        QVERIFY2(!d.value(QStringLiteral("verdict")).toString().isEmpty(), r.err.constData());
        QVERIFY2(r.err.contains("Diagnosis: "), r.err.constData());

        const auto bare = nestscope({ QStringLiteral("run"), QStringLiteral("--local"), QStringLiteral("--plan"),
            data(QStringLiteral("two-probes.yaml")), QStringLiteral("--no-topology"), QStringLiteral("--json"),
            QStringLiteral("-") });
        QCOMPARE(bare.exitCode, 1);
        QVERIFY(!QJsonDocument::fromJson(bare.out).object().contains(QStringLiteral("diagnosis")));
        QVERIFY2(
            bare.err.contains("no diagnosis: the run has no topology snapshot (--no-topology)"), bare.err.constData());
    }

    // `nestscope diagnose` gives a recorded lab run the same verdict offline: the exit code says
    // healthy or not, the JSON names the cause, the Markdown has the fix and its revert.
    void diagnoseARecordedRun_data()
    {
        QTest::addColumn<QString>("scenario");
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QString>("topFinding");
        QTest::addColumn<bool>("revertable"); // restarting an instance has nothing to undo
        QTest::newRow("healthy") << "healthy" << 0 << QString() << false;
        QTest::newRow("forward-drop") << "forward-drop" << 1 << "firewall-forward-drop" << true;
        QTest::newRow("docker-user-drop") << "docker-user-drop" << 1 << "firewall-forward-drop" << true;
        QTest::newRow("nat-off") << "nat-off" << 1 << "nat-missing-ipv4" << true;
        QTest::newRow("instance-no-dhcp") << "instance-no-dhcp" << 1 << "instance-no-address" << false;
    }

    void diagnoseARecordedRun()
    {
        QFETCH(QString, scenario);
        QFETCH(int, exitCode);
        QFETCH(QString, topFinding);
        QFETCH(bool, revertable);
        QTemporaryDir dir;
        const QString md = dir.filePath(QStringLiteral("findings.md"));
        const auto r = nestscope({ QStringLiteral("diagnose"),
            QStringLiteral(NESTSCOPE_TEST_DATA_DIR "/runs/scenarios/%1.json").arg(scenario), QStringLiteral("--json"),
            QStringLiteral("-"), QStringLiteral("--markdown"), md });
        QVERIFY2(r.exitCode == exitCode, r.err.constData());
        const QJsonObject d = QJsonDocument::fromJson(r.out).object();
        const QJsonArray findings = d.value(QStringLiteral("findings")).toArray();
        QFile report(md);
        QVERIFY(report.open(QIODevice::ReadOnly));
        const QByteArray text = report.readAll();
        QVERIFY(text.startsWith("## Diagnosis"));
        if (topFinding.isEmpty()) {
            QCOMPARE(d.value(QStringLiteral("verdict")).toString(), QStringLiteral("healthy"));
            QVERIFY(findings.isEmpty());
            return;
        }
        QVERIFY(!findings.isEmpty());
        QCOMPARE(findings.first().toObject().value(QStringLiteral("id")).toString(), topFinding);
        QVERIFY2(r.err.contains("  1. [high] "), r.err.constData());
        QVERIFY(text.contains("**Fix**"));
        QCOMPARE(text.contains("To undo it"), revertable);
    }

    void diagnoseRefusesWhatItCannotRead()
    {
        const auto missing = nestscope({ QStringLiteral("diagnose"), QStringLiteral("/nonexistent/run.json") });
        QCOMPARE(missing.exitCode, 2);
        QVERIFY2(missing.err.contains("/nonexistent/run.json"), missing.err.constData());
        QTemporaryDir dir;
        QFile garbage(dir.filePath(QStringLiteral("garbage.json")));
        QVERIFY(garbage.open(QIODevice::WriteOnly));
        garbage.write("{\"format\": \"something else\"}");
        garbage.close();
        const auto wrong = nestscope({ QStringLiteral("diagnose"), garbage.fileName() });
        QCOMPARE(wrong.exitCode, 2);
        QVERIFY2(wrong.err.contains("garbage.json"), wrong.err.constData());
        const auto noArg = nestscope({ QStringLiteral("diagnose") });
        QCOMPARE(noArg.exitCode, 2);
        QVERIFY2(noArg.err.contains("nestscope diagnose RUN.json"), noArg.err.constData());
    }

    void someProbesFailExitsOneWithJson()
    {
        const auto r = nestscope({ QStringLiteral("run"), QStringLiteral("--local"), QStringLiteral("--plan"),
            data(QStringLiteral("two-probes.yaml")), QStringLiteral("--json"), QStringLiteral("-") });
        QCOMPARE(r.exitCode, 1);
        QJsonParseError perr;
        const QJsonObject o = QJsonDocument::fromJson(r.out, &perr).object();
        QVERIFY2(perr.error == QJsonParseError::NoError, qPrintable(perr.errorString()));
        QCOMPARE(o.value(QStringLiteral("format")).toString(), QStringLiteral("nestscope-run"));
        const QJsonArray samples = o.value(QStringLiteral("samples")).toArray();
        QCOMPARE(samples.size(), 4);
        int pass = 0;
        int fail = 0;
        for (const auto &v : samples) {
            const QJsonObject s = v.toObject();
            const QString status = s.value(QStringLiteral("status")).toString();
            if (s.value(QStringLiteral("probe")).toString() == QLatin1String("shell-true")) {
                QCOMPARE(status, QStringLiteral("pass"));
                ++pass;
            } else {
                QCOMPARE(status, QStringLiteral("fail"));
                QCOMPARE(s.value(QStringLiteral("exit_code")).toInt(), 1);
                QCOMPARE(s.value(QStringLiteral("stderr")).toString(), QStringLiteral("this one fails on purpose\n"));
                QCOMPARE(s.value(QStringLiteral("command")).toString(),
                    QStringLiteral("echo 'this one fails on purpose' >&2; exit 1"));
                ++fail;
            }
            QCOMPARE(s.value(QStringLiteral("target")).toString(), QStringLiteral("runner"));
        }
        QCOMPARE(pass, 2);
        QCOMPARE(fail, 2);
        QVERIFY(r.err.contains("Two probes: 2 pass, 2 fail"));
        // The run keeps the topology it met: here this machine, as discovery sees it.
        const QJsonObject topology = o.value(QStringLiteral("topology")).toObject();
        QCOMPARE(topology.value(QStringLiteral("format")).toString(), QStringLiteral("nestscope-topology"));
        QCOMPARE(topology.value(QStringLiteral("runner")).toObject().value(QStringLiteral("hostname")).toString(),
            QSysInfo::machineHostName());
        QVERIFY(!topology.value(QStringLiteral("runner"))
                     .toObject()
                     .value(QStringLiteral("interfaces"))
                     .toArray()
                     .isEmpty());

        const auto without = nestscope({ QStringLiteral("run"), QStringLiteral("--local"),
            QStringLiteral("--no-topology"), QStringLiteral("--plan"), data(QStringLiteral("two-probes.yaml")),
            QStringLiteral("--json"), QStringLiteral("-") });
        QCOMPARE(without.exitCode, 1);
        QVERIFY(!QJsonDocument::fromJson(without.out).object().contains(QStringLiteral("topology")));
    }

    void progressIsABarOnATerminalAndLinesInALog()
    {
        const QString plan = data(QStringLiteral("two-probes.yaml"));
        // In a log: one line per sample, no terminal control sequences.
        const auto logged
            = nestscope({ QStringLiteral("run"), QStringLiteral("--local"), QStringLiteral("--plan"), plan });
        QVERIFY2(logged.err.contains("[4/4] "), logged.err.constData());
        QVERIFY(!logged.err.contains("\x1b[K"));

        // On a terminal (a pseudo-terminal from script(1)): a bar redrawn in place, failures above it.
        if (QStandardPaths::findExecutable(QStringLiteral("script")).isEmpty()) {
            QSKIP("script(1) (bsdutils) is not installed");
        }
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("TERM"), QStringLiteral("xterm"));
        p.setProcessEnvironment(env);
        const QString command = QStringLiteral("stty cols 100; exec '%1' run --local --plan '%2'")
                                    .arg(QStringLiteral(NESTSCOPE_BINARY), plan);
        p.start(QStringLiteral("script"), { QStringLiteral("-qefc"), command, QStringLiteral("/dev/null") });
        QVERIFY(p.waitForFinished(60000));
        QCOMPARE(p.exitCode(), 1); // script -e passes on the run's exit code: a probe failed
        const QByteArray tty = p.readAllStandardOutput();
        QVERIFY2(tty.contains("\r\x1b[K["), tty.constData());
        QVERIFY2(tty.contains("4/4 100%"), tty.constData());
        QVERIFY2(tty.contains("2 problems"), tty.constData());
        QVERIFY2(tty.contains("fail    shell-false on runner"), tty.constData()); // kept above the bar
        QVERIFY2(!tty.contains("pass    shell-true"), tty.constData()); // passes only move the bar
        QVERIFY2(tty.contains("Two probes: 2 pass, 2 fail"), tty.constData());
        for (const QByteArray &line : tty.split('\n')) { // never wider than the terminal
            const QByteArray last = line.split('\r').constLast();
            QVERIFY2(QString::fromUtf8(last).size() <= 100 + 4, line.constData());
        }
    }

    void allPassExitsZeroAndWritesAFile()
    {
        QTemporaryDir dir;
        const QString out = dir.filePath(QStringLiteral("run.json"));
        const auto r = nestscope({ QStringLiteral("run"), QStringLiteral("--local"), QStringLiteral("--quiet"),
            QStringLiteral("--plan"), data(QStringLiteral("all-pass.yaml")), QStringLiteral("--json"), out });
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.out.isEmpty());
        QFile f(out);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject o = QJsonDocument::fromJson(f.readAll()).object();
        QCOMPARE(o.value(QStringLiteral("summary")).toObject().value(QStringLiteral("pass")).toInt(), 3);
    }

    void planErrorsExitTwoWithPosition()
    {
        const QString bad = data(QStringLiteral("bad-kind.yaml"));
        const auto r = nestscope({ QStringLiteral("run"), QStringLiteral("--local"), QStringLiteral("--plan"), bad });
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(
            r.err.contains((bad + QStringLiteral(":7:11: unknown probe kind \"htpp\"")).toUtf8()), r.err.constData());
        QVERIFY(r.out.isEmpty());
    }

    void usageErrorsExitTwo_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("message");
        QTest::newRow("no plan") << QStringList { QStringLiteral("run"), QStringLiteral("--local") }
                                 << "--plan FILE is required";
        QTest::newRow("no target") << QStringList { QStringLiteral("run"), QStringLiteral("--plan"),
            QStringLiteral("x") } << "--local";
        QTest::newRow("unknown option") << QStringList { QStringLiteral("run"), QStringLiteral("--frobnicate") }
                                        << "Unknown option 'frobnicate'";
        QTest::newRow("missing file") << QStringList { QStringLiteral("run"), QStringLiteral("--local"),
            QStringLiteral("--plan"), QStringLiteral("/nope.yaml") }
                                      << "/nope.yaml: cannot read the plan";
    }

    void usageErrorsExitTwo()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, message);
        const auto r = nestscope(args);
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(message.toUtf8()), r.err.constData());
    }

    void sigtermKeepsFinishedSamples()
    {
        QTemporaryDir dir;
        const QString out = dir.filePath(QStringLiteral("run.json"));
        QProcess p;
        p.start(QStringLiteral(NESTSCOPE_BINARY),
            { QStringLiteral("run"), QStringLiteral("--local"), QStringLiteral("--plan"),
                data(QStringLiteral("quick-then-slow.yaml")), QStringLiteral("--json"), out });
        QVERIFY(p.waitForStarted());
        // Wait until the quick probe is reported, then stop the run as a CI job's timeout would.
        QByteArray err;
        QTRY_VERIFY_WITH_TIMEOUT((err += p.readAllStandardError()).contains("pass    quick"), 30000);
        p.terminate();
        QVERIFY(p.waitForFinished(30000));
        QCOMPARE(p.exitCode(), 130);
        QFile f(out);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject o = QJsonDocument::fromJson(f.readAll()).object();
        QCOMPARE(o.value(QStringLiteral("status")).toString(), QStringLiteral("cancelled"));
        const QJsonArray samples = o.value(QStringLiteral("samples")).toArray();
        QVERIFY(!samples.isEmpty());
        QCOMPARE(samples.at(0).toObject().value(QStringLiteral("probe")).toString(), QStringLiteral("quick"));
        QCOMPARE(samples.at(0).toObject().value(QStringLiteral("status")).toString(), QStringLiteral("pass"));
    }

    void expectationsDecideTheExitCode()
    {
        QTemporaryDir dir;
        const QString junit = dir.filePath(QStringLiteral("junit.xml"));
        const QString markdown = dir.filePath(QStringLiteral("report.md"));
        auto r = nestscope({ QStringLiteral("run"), QStringLiteral("--local"), QStringLiteral("--quiet"),
            QStringLiteral("--plan"), data(QStringLiteral("expectations.yaml")), QStringLiteral("--junit"), junit,
            QStringLiteral("--markdown"), markdown });
        QCOMPARE(r.exitCode, 0); // "unreachable" fails, as the plan expects
        QFile j(junit);
        QVERIFY(j.open(QIODevice::ReadOnly));
        const QByteArray xml = j.readAll();
        QVERIFY2(xml.contains("<testsuite name=\"runner\" tests=\"2\" failures=\"0\" errors=\"0\" skipped=\"0\""),
            xml.constData());
        QVERIFY(xml.contains("<testcase classname=\"Expectations.runner\" name=\"unreachable\""));
        QFile m(markdown);
        QVERIFY(m.open(QIODevice::ReadOnly));
        const QByteArray md = m.readAll();
        QVERIFY2(md.contains("**Every expectation held** (2 samples)."), md.constData());
        QVERIFY(md.contains("| unreachable | ❌ 0/1"));

        // A variable changes what "greets" prints: now it breaks its expectation, and JUnit says how.
        r = nestscope({ QStringLiteral("run"), QStringLiteral("--local"), QStringLiteral("--quiet"),
            QStringLiteral("--plan"), data(QStringLiteral("expectations.yaml")), QStringLiteral("--var"),
            QStringLiteral("greeting=bye"), QStringLiteral("--repeat"), QStringLiteral("2"), QStringLiteral("--junit"),
            junit, QStringLiteral("--markdown"), markdown });
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("2 samples broke an expectation"), r.err.constData());
        j.close(); // the report was replaced (written atomically), so read the new file
        QVERIFY(j.open(QIODevice::ReadOnly));
        const QByteArray xml2 = j.readAll();
        QVERIFY2(xml2.contains("failures=\"1\""), xml2.constData());
        QVERIFY(xml2.contains("2 of 2 samples did not pass: output does not match /^hello$/"));
        m.close();
        QVERIFY(m.open(QIODevice::ReadOnly));
        const QByteArray md2 = m.readAll();
        QVERIFY(md2.contains("### greets on runner"));
        QVERIFY(md2.contains("$ nestscope_var_greeting=bye; echo \"${nestscope_var_greeting}\""));
    }

    void variablesCannotInject()
    {
        QTemporaryDir dir;
        const QString marker = dir.filePath(QStringLiteral("marker"));
        const QStringList payloads { QStringLiteral("$(touch %1)").arg(marker),
            QStringLiteral("x; touch %1").arg(marker), QStringLiteral("`touch %1`").arg(marker),
            QStringLiteral("'; touch %1; '").arg(marker) };
        for (const QString &payload : payloads) {
            const auto r = nestscope({ QStringLiteral("run"), QStringLiteral("--local"), QStringLiteral("--quiet"),
                QStringLiteral("--plan"), data(QStringLiteral("expectations.yaml")), QStringLiteral("--var"),
                QStringLiteral("greeting=") + payload, QStringLiteral("--json"), QStringLiteral("-") });
            QCOMPARE(r.exitCode, 1);
            const QJsonObject o = QJsonDocument::fromJson(r.out).object();
            QJsonObject greets;
            for (const auto &v : o.value(QStringLiteral("samples")).toArray()) {
                if (v.toObject().value(QStringLiteral("probe")).toString() == QLatin1String("greets")) {
                    greets = v.toObject();
                }
            }
            QCOMPARE(
                greets.value(QStringLiteral("stdout")).toString(), payload + QLatin1Char('\n')); // printed, not run
            QVERIFY2(!QFile::exists(marker), qPrintable(payload));

            const auto quoted = nestscope({ QStringLiteral("run"), QStringLiteral("--local"), QStringLiteral("--quiet"),
                QStringLiteral("--plan"), data(QStringLiteral("quoted-variable.yaml")), QStringLiteral("--var"),
                QStringLiteral("greeting=") + payload, QStringLiteral("--json"), QStringLiteral("-") });
            QCOMPARE(quoted.exitCode, 0);
            const QJsonObject q = QJsonDocument::fromJson(quoted.out).object();
            QCOMPARE(q.value(QStringLiteral("samples"))
                         .toArray()
                         .at(0)
                         .toObject()
                         .value(QStringLiteral("stdout"))
                         .toString(),
                QLatin1Char('<') + payload + QStringLiteral(">\n"));
            QVERIFY2(!QFile::exists(marker), qPrintable(payload));
        }
        const auto unknown = nestscope({ QStringLiteral("run"), QStringLiteral("--local"), QStringLiteral("--plan"),
            data(QStringLiteral("expectations.yaml")), QStringLiteral("--var"), QStringLiteral("greting=x") });
        QCOMPARE(unknown.exitCode, 2);
        QVERIFY(unknown.err.contains("the plan has no variable \"greting\""));
        // A runner without lxc or incus has no instances, so a plan that names one cannot run.
        QProcessEnvironment noLxc = QProcessEnvironment::systemEnvironment();
        noLxc.insert(QStringLiteral("PATH"), QStringLiteral("/nonexistent"));
        const auto instance = nestscope({ QStringLiteral("run"), QStringLiteral("--local"), QStringLiteral("--plan"),
                                            data(QStringLiteral("instance-target.yaml")) },
            noLxc);
        QCOMPARE(instance.exitCode, 2);
        QVERIFY2(instance.err.contains("target \"vm9\" is not an instance on this runner; instances: none "
                                       "(neither lxc nor incus is installed on the runner)"),
            instance.err.constData());
    }

    void anUnreachableLxdStillRunsTheRunner()
    {
        // Issue 14, item 3: `all` on a runner whose LXD daemon is not there (the real client, an
        // empty LXD_DIR) runs the runner's probes and says once, readably, what did not run.
        if (QStandardPaths::findExecutable(QStringLiteral("lxc")).isEmpty()) {
            QSKIP("lxc is not installed here (tst_runsession covers the message)");
        }
        QTemporaryDir dir;
        const QString plan = dir.filePath(QStringLiteral("plan.yaml"));
        writeFile(plan,
            "name: Runner and instances\ntargets: [runner, all]\n"
            "probes:\n  - {id: a, kind: shell, command: \"true\"}\n");
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("LXD_DIR"), dir.filePath(QStringLiteral("no-daemon")));
        const QString json = dir.filePath(QStringLiteral("run.json"));
        const auto r = nestscope({ QStringLiteral("run"), QStringLiteral("--local"), QStringLiteral("--plan"), plan,
                                     QStringLiteral("--no-topology"), QStringLiteral("--json"), json },
            env);
        // The runner's probes passed, but the instances a CI job asked for were not run.
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.endsWith("Exit code 1: all was not run (see the note above)\n"), r.err.constData());
        QCOMPARE(r.err.count("LXD is not reachable"), 1);
        QVERIFY2(r.err.contains("nestscope run: note: the instance targets (all) are not run: LXD is not reachable "
                                "(Error: "),
            r.err.constData());
        QVERIFY2(r.err.contains("The runner's own probes run.\n"), r.err.constData());
        QVERIFY2(!r.err.contains("first time"), r.err.constData());
        QVERIFY2(!r.err.contains("Nothing was run"), r.err.constData());
        QFile f(json);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject o = QJsonDocument::fromJson(f.readAll()).object();
        QCOMPARE(o.value(QStringLiteral("targets")).toArray(), QJsonArray { QStringLiteral("runner") });
        QCOMPARE(o.value(QStringLiteral("samples")).toArray().size(), 1);
    }

    void shuffleWithASeedRepeatsTheOrder()
    {
        auto order = [&](const QString &seed) {
            QStringList args { QStringLiteral("run"), QStringLiteral("--local"), QStringLiteral("--plan"),
                data(QStringLiteral("all-pass.yaml")), QStringLiteral("--repeat"), QStringLiteral("4"),
                QStringLiteral("--concurrency"), QStringLiteral("1"), QStringLiteral("--json"), QStringLiteral("-") };
            if (!seed.isEmpty()) {
                args << QStringLiteral("--seed") << seed;
            }
            const auto r = nestscope(args);
            [&] {
                QCOMPARE(r.exitCode, 0);
            }();
            QStringList ids;
            for (const auto &v : QJsonDocument::fromJson(r.out).object().value(QStringLiteral("samples")).toArray()) {
                ids << v.toObject().value(QStringLiteral("probe")).toString()
                        + QString::number(v.toObject().value(QStringLiteral("repetition")).toInt());
            }
            return ids;
        };
        const QStringList a = order(QStringLiteral("42"));
        QCOMPARE(a.size(), 12);
        QCOMPARE(order(QStringLiteral("42")), a);
        const QStringList plain = order(QString());
        QCOMPARE(plain.mid(0, 3), (QStringList { QStringLiteral("a0"), QStringLiteral("b0"), QStringLiteral("c0") }));
        QVERIFY(a != plain || order(QStringLiteral("7")) != plain); // shuffled, not the plan's order
    }

    void outputIntoAPipeKeepsThePipe()
    {
        // `--json >(jq .)` or a named pipe: the run goes into it, and the pipe stays a pipe
        // (it used to be replaced by a regular file, as /dev/null was when run as root).
        QTemporaryDir dir;
        const QString fifo = dir.filePath(QStringLiteral("run.fifo"));
        QCOMPARE(::mkfifo(QFile::encodeName(fifo).constData(), 0600), 0);
        const QString received = dir.filePath(QStringLiteral("received.json"));
        QProcess reader; // into a file: nobody drains a pipe while the run waits to finish
        reader.setStandardOutputFile(received);
        reader.start(QStringLiteral("cat"), { fifo });
        QVERIFY(reader.waitForStarted());
        const auto r = nestscope({ QStringLiteral("run"), QStringLiteral("--local"), QStringLiteral("--quiet"),
            QStringLiteral("--no-topology"), QStringLiteral("--plan"), data(QStringLiteral("two-probes.yaml")),
            QStringLiteral("--json"), fifo });
        QCOMPARE(r.exitCode, 1); // one probe fails on purpose
        QVERIFY(reader.waitForFinished(30000));
        QFile got(received);
        QVERIFY(got.open(QIODevice::ReadOnly));
        const QJsonObject run = QJsonDocument::fromJson(got.readAll()).object();
        QCOMPARE(run.value(QStringLiteral("format")).toString(), QStringLiteral("nestscope-run"));
        struct stat st { };
        QCOMPARE(::lstat(QFile::encodeName(fifo).constData(), &st), 0);
        QVERIFY(S_ISFIFO(st.st_mode));
    }

    void workbenchArgumentsAreCheckedWithoutADisplay()
    {
        const QProcessEnvironment env = nestscope::test::headlessEnvironment();
        const auto version = nestscope({ QStringLiteral("--version") }, env);
        QCOMPARE(version.exitCode, 0);
        QCOMPARE(version.out, QByteArray("nestscope " NESTSCOPE_VERSION "\n"));

        const auto help = nestscope({ QStringLiteral("--help") }, env);
        QCOMPARE(help.exitCode, 0);
        QVERIFY2(help.out.contains("--plan SPEC") && help.out.contains("Usage: nestscope run")
                && help.out.contains("Usage: nestscope topology"),
            help.out.constData());

        // A typo is an error that says what to do, not a workbench that ignores it.
        const auto unknown = nestscope({ QStringLiteral("--plna"), QStringLiteral("x.yaml") }, env);
        QCOMPARE(unknown.exitCode, 2);
        QVERIFY2(unknown.err.contains("nestscope: Unknown option 'plna'"), unknown.err.constData());
        QVERIFY(unknown.err.contains("Try 'nestscope --help'."));
        QVERIFY(!unknown.err.contains("there is no display"));

        const auto command = nestscope({ QStringLiteral("rnu"), QStringLiteral("--local") }, env);
        QCOMPARE(command.exitCode, 2);
        QVERIFY2(command.err.contains(
                     "unexpected argument \"rnu\" (the commands are run, topology, diagnose, report and experiment"),
            command.err.constData());

        const auto var = nestscope({ QStringLiteral("--var"), QStringLiteral("=x") }, env);
        QCOMPARE(var.exitCode, 2);
        QVERIFY2(var.err.contains("--var wants NAME=VALUE, not \"=x\""), var.err.constData());

        // Qt's own options are left to Qt: not unknown, and -platform counts as a display.
        const auto qtOptions
            = nestscope({ QStringLiteral("-platform"), QStringLiteral("offscreen"), QStringLiteral("-style"),
                            QStringLiteral("fusion"), QStringLiteral("-reverse"), QStringLiteral("--plna") },
                env);
        QCOMPARE(qtOptions.exitCode, 2);
        QVERIFY2(qtOptions.err.contains("Unknown option 'plna'"), qtOptions.err.constData());
        QTemporaryDir home; // the workbench opens its run store and settings: not the user's
        QProcessEnvironment guiEnv = env;
        guiEnv.insert(QStringLiteral("XDG_DATA_HOME"), home.filePath(QStringLiteral("data")));
        guiEnv.insert(QStringLiteral("XDG_CONFIG_HOME"), home.filePath(QStringLiteral("config")));
        // The workbench opens with the plan given as --plan FILE, or as the only word (the desktop
        // file's `nestscope %f`): still running after 3 s, and it said nothing about the plan.
        for (const QStringList &plan :
            { QStringList { QStringLiteral("--plan"), data(QStringLiteral("two-probes.yaml")) },
                QStringList { data(QStringLiteral("two-probes.yaml")) } }) {
            QProcess gui;
            gui.setProcessEnvironment(guiEnv);
            gui.start(QStringLiteral(NESTSCOPE_BINARY),
                QStringList { QStringLiteral("-platform"), QStringLiteral("offscreen") } + plan);
            QVERIFY(gui.waitForStarted());
            QVERIFY2(!gui.waitForFinished(3000), gui.readAllStandardError().constData());
            gui.kill();
            gui.waitForFinished();
            QVERIFY2(!gui.readAllStandardError().contains("nestscope:"), qPrintable(plan.join(QLatin1Char(' '))));
        }
        // Two words, or a word that is not a file, are not plans.
        const auto twoFiles
            = nestscope({ data(QStringLiteral("two-probes.yaml")), data(QStringLiteral("two-probes.yaml")) }, env);
        QCOMPARE(twoFiles.exitCode, 2);
        QVERIFY2(twoFiles.err.contains("unexpected argument"), twoFiles.err.constData());
    }

    void outputToStdoutAppendsWhereTheShellPointsIt()
    {
        // `nestscope run --json /dev/stdout --markdown /dev/stdout >>log`: both after the log's
        // lines, one after the other, in the same file.
        QTemporaryDir dir;
        const QString log = dir.filePath(QStringLiteral("log"));
        QFile seed(log);
        QVERIFY(seed.open(QIODevice::WriteOnly));
        seed.write("earlier line\n");
        seed.close();
        QProcess p;
        p.setStandardOutputFile(log, QIODevice::Append);
        p.start(QStringLiteral(NESTSCOPE_BINARY),
            { QStringLiteral("run"), QStringLiteral("--local"), QStringLiteral("--quiet"),
                QStringLiteral("--no-topology"), QStringLiteral("--plan"), data(QStringLiteral("two-probes.yaml")),
                QStringLiteral("--json"), QStringLiteral("/dev/stdout"), QStringLiteral("--markdown"),
                QStringLiteral("/dev/stdout") });
        QVERIFY(p.waitForFinished(60000));
        QCOMPARE(p.exitCode(), 1); // one probe fails on purpose
        QFile out(log);
        QVERIFY(out.open(QIODevice::ReadOnly));
        const QByteArray text = out.readAll();
        QVERIFY2(text.startsWith("earlier line\n{"), text.left(200).constData());
        QVERIFY2(text.contains("\"format\": \"nestscope-run\"") || text.contains("\"format\":\"nestscope-run\""),
            text.left(400).constData());
        QVERIFY2(text.indexOf("shell-false") < text.lastIndexOf("| shell-false"), text.right(400).constData());
        QVERIFY(!text.contains('\0'));
    }

    void noDisplaySaysSoAndShowsTheHeadlessWay()
    {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.remove(QStringLiteral("DISPLAY"));
        env.remove(QStringLiteral("WAYLAND_DISPLAY"));
        env.remove(QStringLiteral("QT_QPA_PLATFORM"));
        const auto r = nestscope({}, env);
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("there is no display"), r.err.constData());
        QVERIFY(r.err.contains("nestscope run --local --plan"));
    }

    // --- Signals, outputs that cannot be written, and what reaches the terminal ---

    static void writeFile(const QString &path, const QByteArray &text, bool executable = false)
    {
        QFile f(path);
        QVERIFY2(f.open(QIODevice::WriteOnly), qPrintable(path));
        f.write(text);
        f.close();
        if (executable) {
            QVERIFY(f.setPermissions(f.permissions() | QFile::ExeOwner | QFile::ExeGroup | QFile::ExeOther));
        }
    }

    /// A shell command that starts `sleep 300` as its own child (so the test sees whether
    /// grandchildren of nestscope are stopped), writes its PID to `pidFile` in one step, and waits.
    static QByteArray sleeperScript(const QString &pidFile)
    {
        return QStringLiteral("sleep 300 & echo $! > '%1.tmp' && mv '%1.tmp' '%1'; wait").arg(pidFile).toUtf8();
    }

    /// Whether `pid` is a live process (a zombie waiting for its reaper has ended).
    static bool alive(qint64 pid)
    {
        QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
        if (!stat.open(QIODevice::ReadOnly)) {
            return false;
        }
        const QByteArray line = stat.readAll();
        const qsizetype close = line.lastIndexOf(')');
        return close < 0 || line.mid(close + 2, 1) != "Z";
    }

    static qint64 readPid(const QString &path)
    {
        QFile f(path);
        return f.open(QIODevice::ReadOnly) ? f.readAll().trimmed().toLongLong() : 0;
    }

    /// The status and sample count of the one run in the store, read with SQL: RunStore::open()
    /// would turn a run left `running` into `interrupted` and hide what nestscope left behind.
    static std::pair<QString, int> storedRun(const QString &path)
    {
        std::pair<QString, int> found { QStringLiteral("none"), -1 };
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("tst_cli_store"));
            db.setDatabaseName(path);
            db.setConnectOptions(QStringLiteral("QSQLITE_OPEN_READONLY"));
            if (db.open()) {
                QSqlQuery q(QStringLiteral("SELECT status, n_samples FROM runs"), db);
                if (q.next()) {
                    found = { q.value(0).toString(), q.value(1).toInt() };
                }
                if (q.next()) {
                    found.first = QStringLiteral("more than one run");
                }
            }
        }
        QSqlDatabase::removeDatabase(QStringLiteral("tst_cli_store"));
        return found;
    }

    void signalStopsEveryPhase_data()
    {
        QTest::addColumn<QString>("phase");
        QTest::addColumn<int>("signal");
        for (const char *phase : { "instances", "discovery", "running" }) {
            for (const auto &[name, number] :
                { std::pair { "SIGINT", SIGINT }, std::pair { "SIGTERM", SIGTERM }, std::pair { "SIGHUP", SIGHUP } }) {
                QTest::addRow("%s %s", phase, name) << QString::fromLatin1(phase) << number;
            }
        }
    }

    void signalStopsEveryPhase()
    {
        // Each phase is held up by a command that sleeps and says its PID: a fake `lxc` while the
        // plan's instances are looked up, a fake `ip` while the topology is discovered, a probe
        // while the run runs. The signal comes once that PID is written, never after a set time.
        QFETCH(QString, phase);
        QFETCH(int, signal);
        QTemporaryDir dir;
        const QString bin = dir.filePath(QStringLiteral("bin"));
        QVERIFY(QDir().mkpath(bin));
        const QString pidFile = dir.filePath(QStringLiteral("child.pid"));
        const QString marker = dir.filePath(QStringLiteral("ran"));
        const QString plan = dir.filePath(QStringLiteral("plan.yaml"));
        QByteArray yaml = "name: Held up\ndefaults: {concurrency: 1, timeout: 600s}\n";
        if (phase == QLatin1String("running")) {
            yaml += "probes:\n"
                    "  - {id: quick, kind: shell, command: \"true\"}\n"
                    "  - id: sleeper\n    kind: shell\n    command: \""
                + sleeperScript(pidFile) + "\"\n" + "  - {id: never, kind: shell, command: \"touch '" + marker.toUtf8()
                + "'\"}\n";
        } else {
            if (phase == QLatin1String("instances")) {
                yaml += "targets: [runner, vm1]\n";
            }
            yaml += "probes:\n  - {id: marker, kind: shell, command: \"touch '" + marker.toUtf8() + "'\"}\n";
            const QString tool = phase == QLatin1String("instances") ? QStringLiteral("lxc") : QStringLiteral("ip");
            writeFile(bin + QLatin1Char('/') + tool, "#!/bin/sh\n" + sleeperScript(pidFile) + "\n", true);
        }
        writeFile(plan, yaml);
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("PATH"), bin + QLatin1Char(':') + env.value(QStringLiteral("PATH")));
        const QString json = dir.filePath(QStringLiteral("run.json"));
        const QString markdown = dir.filePath(QStringLiteral("run.md"));
        const QString store = dir.filePath(QStringLiteral("runs.sqlite"));
        QProcess p;
        p.setProcessEnvironment(env);
        p.start(QStringLiteral(NESTSCOPE_BINARY),
            { QStringLiteral("run"), QStringLiteral("--local"), QStringLiteral("--plan"), plan,
                QStringLiteral("--json"), json, QStringLiteral("--markdown"), markdown, QStringLiteral("--store"),
                store });
        QVERIFY(p.waitForStarted());
        QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(pidFile) || p.state() == QProcess::NotRunning, 120000);
        QVERIFY2(p.state() == QProcess::Running, p.readAllStandardError().constData());
        const qint64 child = readPid(pidFile);
        QVERIFY(child > 0);
        QVERIFY(alive(child));
        QCOMPARE(::kill(pid_t(p.processId()), signal), 0);
        QVERIFY(p.waitForFinished(60000));
        const QByteArray err = p.readAllStandardError();
        QCOMPARE(p.exitStatus(), QProcess::NormalExit);
        QCOMPARE(p.exitCode(), 130);
        QVERIFY2(err.contains("interrupted by SIG"), err.constData());
        QTRY_VERIFY_WITH_TIMEOUT(!alive(child), 30000); // the signal ended what the command had started
        QVERIFY(!QFile::exists(marker)); // nothing ran after the signal

        const bool running = phase == QLatin1String("running");
        QFile f(json);
        QVERIFY2(f.open(QIODevice::ReadOnly), err.constData());
        const QJsonObject o = QJsonDocument::fromJson(f.readAll()).object();
        QCOMPARE(o.value(QStringLiteral("status")).toString(), QStringLiteral("cancelled"));
        const QJsonArray samples = o.value(QStringLiteral("samples")).toArray();
        QCOMPARE(samples.size(), running ? 2 : 0);
        if (running) {
            QCOMPARE(samples.at(0).toObject().value(QStringLiteral("status")).toString(), QStringLiteral("pass"));
        }
        QFile m(markdown);
        QVERIFY(m.open(QIODevice::ReadOnly));
        const QByteArray md = m.readAll();
        QVERIFY2(!md.contains("Every expectation held"), md.constData());
        QVERIFY2(md.contains(running ? "**The run was cancelled before it finished:** 2 of 3 samples were recorded"
                         : phase == QLatin1String("instances")
                         ? "**The run was cancelled before it finished:** 0 of 2 samples were recorded"
                         : "**The run was cancelled before it finished:** 0 of 1 samples were recorded"),
            md.constData());
        QCOMPARE(storedRun(store), (std::pair { QStringLiteral("cancelled"), running ? 2 : 0 }));
    }

    void signalWhileConnectingStops_data()
    {
        QTest::addColumn<int>("signal");
        QTest::newRow("SIGINT") << SIGINT;
        QTest::newRow("SIGTERM") << SIGTERM;
        QTest::newRow("SIGHUP") << SIGHUP;
    }

    void signalWhileConnectingStops()
    {
        // An "SSH server" on loopback that accepts and never says a word: nestscope waits in the
        // connect for its banner; the signal comes once the connection has arrived.
        QFETCH(int, signal);
        QTcpServer silent;
        QVERIFY(silent.listen(QHostAddress::LocalHost));
        QTemporaryDir dir;
        const QString marker = dir.filePath(QStringLiteral("ran"));
        const QString plan = dir.filePath(QStringLiteral("plan.yaml"));
        writeFile(
            plan, "name: Marks\nprobes:\n  - {id: mark, kind: shell, command: \"touch '" + marker.toUtf8() + "'\"}\n");
        const QString json = dir.filePath(QStringLiteral("run.json"));
        const QString markdown = dir.filePath(QStringLiteral("run.md"));
        const QString store = dir.filePath(QStringLiteral("runs.sqlite"));
        QProcess p;
        p.start(QStringLiteral(NESTSCOPE_BINARY),
            { QStringLiteral("run"), QStringLiteral("--host"), QStringLiteral("127.0.0.1:%1").arg(silent.serverPort()),
                QStringLiteral("--ssh-config"), QStringLiteral("/dev/null"), QStringLiteral("--known-hosts"),
                dir.filePath(QStringLiteral("known_hosts")), QStringLiteral("--plan"), plan, QStringLiteral("--json"),
                json, QStringLiteral("--markdown"), markdown, QStringLiteral("--store"), store });
        QVERIFY(p.waitForStarted());
        QTRY_VERIFY_WITH_TIMEOUT(silent.hasPendingConnections() || p.state() == QProcess::NotRunning, 120000);
        QVERIFY2(p.state() == QProcess::Running, p.readAllStandardError().constData());
        QCOMPARE(::kill(pid_t(p.processId()), signal), 0);
        QVERIFY(p.waitForFinished(60000));
        const QByteArray err = p.readAllStandardError();
        QCOMPARE(p.exitStatus(), QProcess::NormalExit);
        QCOMPARE(p.exitCode(), 130);
        QVERIFY2(err.contains("interrupted by SIG"), err.constData());
        QVERIFY(!QFile::exists(marker));
        QFile f(json);
        QVERIFY2(f.open(QIODevice::ReadOnly), err.constData());
        const QJsonObject o = QJsonDocument::fromJson(f.readAll()).object();
        QCOMPARE(o.value(QStringLiteral("status")).toString(), QStringLiteral("cancelled"));
        QVERIFY(o.value(QStringLiteral("samples")).toArray().isEmpty());
        QFile m(markdown);
        QVERIFY(m.open(QIODevice::ReadOnly));
        QVERIFY(m.readAll().contains("**The run was cancelled before it finished:** 0 of 1 samples were recorded"));
        QCOMPARE(storedRun(store), (std::pair { QStringLiteral("cancelled"), 0 }));
    }

    void topologyStopsOnASignal_data() { signalWhileConnectingStops_data(); }

    void topologyStopsOnASignal()
    {
        // A fake `ip` holds the discovery up; the signal comes once it has said its PID.
        QFETCH(int, signal);
        QTemporaryDir dir;
        const QString bin = dir.filePath(QStringLiteral("bin"));
        QVERIFY(QDir().mkpath(bin));
        const QString pidFile = dir.filePath(QStringLiteral("child.pid"));
        writeFile(bin + QStringLiteral("/ip"), "#!/bin/sh\n" + sleeperScript(pidFile) + "\n", true);
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("PATH"), bin + QLatin1Char(':') + env.value(QStringLiteral("PATH")));
        const QString json = dir.filePath(QStringLiteral("t.json"));
        QProcess p;
        p.setProcessEnvironment(env);
        p.start(QStringLiteral(NESTSCOPE_BINARY),
            { QStringLiteral("topology"), QStringLiteral("--local"), QStringLiteral("--json"), json });
        QVERIFY(p.waitForStarted());
        QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(pidFile) || p.state() == QProcess::NotRunning, 120000);
        QVERIFY2(p.state() == QProcess::Running, p.readAllStandardError().constData());
        const qint64 child = readPid(pidFile);
        QVERIFY(child > 0 && alive(child));
        QCOMPARE(::kill(pid_t(p.processId()), signal), 0);
        QVERIFY(p.waitForFinished(60000));
        const QByteArray err = p.readAllStandardError();
        QCOMPARE(p.exitStatus(), QProcess::NormalExit);
        QCOMPARE(p.exitCode(), 130);
        QVERIFY2(err.contains("nestscope topology: interrupted by SIG"), err.constData());
        QTRY_VERIFY_WITH_TIMEOUT(!alive(child), 30000);
        QVERIFY(!QFile::exists(json)); // nothing finished, nothing is written
    }

    void childrenDoNotOutliveAKilledNestscope()
    {
        // SIGKILL runs no handler: the kernel has to end what nestscope started.
        QTemporaryDir dir;
        const QString pidFile = dir.filePath(QStringLiteral("child.pid"));
        const QString plan = dir.filePath(QStringLiteral("plan.yaml"));
        writeFile(plan,
            "name: Killed\ndefaults: {timeout: 600s}\nprobes:\n  - id: sleeper\n    kind: shell\n    command: \""
                + sleeperScript(pidFile) + "\"\n");
        QProcess p;
        p.start(QStringLiteral(NESTSCOPE_BINARY),
            { QStringLiteral("run"), QStringLiteral("--local"), QStringLiteral("--no-topology"),
                QStringLiteral("--plan"), plan });
        QVERIFY(p.waitForStarted());
        QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(pidFile) || p.state() == QProcess::NotRunning, 120000);
        QVERIFY2(p.state() == QProcess::Running, p.readAllStandardError().constData());
        const qint64 child = readPid(pidFile);
        QVERIFY(child > 0 && alive(child));
        p.kill();
        QVERIFY(p.waitForFinished(60000));
        QTRY_VERIFY_WITH_TIMEOUT(!alive(child), 30000);
    }

    void memoryDoesNotGrowWithTheOutput()
    {
        // 40 samples that each print 1 MiB on stdout and on stderr (the transport's cap) used to
        // take about 400 MB: every output kept in the run, then the whole JSON document built at
        // once. Now the JSON is written sample by sample and the run keeps 16 KiB of each output.
        rusage before {};
        QCOMPARE(::getrusage(RUSAGE_CHILDREN, &before), 0);
        constexpr long kCeilingKb = 200 * 1024;
        QVERIFY2(before.ru_maxrss < kCeilingKb, "an earlier child already used more than the ceiling");
        QTemporaryDir dir;
        const QString plan = dir.filePath(QStringLiteral("plan.yaml"));
        writeFile(plan,
            "name: Loud\ndefaults: {concurrency: 4, timeout: 300s, repeat: 40}\nprobes:\n  - id: loud\n    kind: "
            "shell\n"
            "    command: head -c 1048576 /dev/zero | tr '\\000' a; head -c 1048576 /dev/zero | tr '\\000' b >&2\n");
        const QString json = dir.filePath(QStringLiteral("run.json"));
        const QString junit = dir.filePath(QStringLiteral("run.xml"));
        const auto r = nestscope::test::runNestscope(
            { QStringLiteral("run"), QStringLiteral("--local"), QStringLiteral("--no-topology"),
                QStringLiteral("--quiet"), QStringLiteral("--plan"), plan, QStringLiteral("--json"), json,
                QStringLiteral("--junit"), junit },
            QProcessEnvironment::systemEnvironment(), 600000);
        QCOMPARE(r.exitCode, 0);
        rusage after {};
        QCOMPARE(::getrusage(RUSAGE_CHILDREN, &after), 0);
        QVERIFY2(after.ru_maxrss < kCeilingKb, qPrintable(QStringLiteral("%1 MB").arg(after.ru_maxrss / 1024)));
        // The JSON still has every byte of every output (40 x 2 MiB), and ends as a document does.
        QFile f(json);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QVERIFY2(f.size() > 40 * 2 * 1048576, qPrintable(QString::number(f.size())));
        QVERIFY(f.seek(f.size() - 200));
        const QByteArray end = f.readAll();
        QVERIFY2(end.contains("\"samples\": 40") && end.endsWith("}\n"), end.constData());
        // JUnit shows the start of an output and says honestly that there was more.
        QFile x(junit);
        QVERIFY(x.open(QIODevice::ReadOnly));
        QVERIFY(x.readAll().contains("[… at least "));
    }

    void outputsAreCheckedBeforeAnythingRuns_data()
    {
        QTest::addColumn<QStringList>("outputs");
        QTest::addColumn<QString>("message");
        QTest::newRow("json in a missing folder")
            << QStringList { QStringLiteral("--json"), QStringLiteral("/nonexistent-nestscope/dir/x.json") }
            << "cannot write --json /nonexistent-nestscope/dir/x.json: the folder /nonexistent-nestscope/dir does "
               "not exist";
        QTest::newRow("junit over a file of /proc") << QStringList { QStringLiteral("--junit"),
            QStringLiteral("/proc/version") } << "cannot write --junit /proc/version: cannot create a file in /proc";
        QTest::newRow("markdown into a folder of /proc")
            << QStringList { QStringLiteral("--markdown"), QStringLiteral("/proc/self/report.md") }
            << "cannot write --markdown /proc/self/report.md: cannot create a file in /proc/self";
        QTest::newRow("json is a folder") << QStringList { QStringLiteral("--json"), QStringLiteral("/tmp") }
                                          << "cannot write --json /tmp: it is a folder";
        QTest::newRow("store in /proc") << QStringList { QStringLiteral("--store"),
            QStringLiteral("/proc/runs.sqlite") }
                                        << "cannot use --store /proc/runs.sqlite";
    }

    void outputsAreCheckedBeforeAnythingRuns()
    {
        QFETCH(QStringList, outputs);
        QFETCH(QString, message);
        QTemporaryDir dir;
        const QString marker = dir.filePath(QStringLiteral("ran"));
        const QString plan = dir.filePath(QStringLiteral("plan.yaml"));
        writeFile(
            plan, "name: Marks\nprobes:\n  - {id: mark, kind: shell, command: \"touch '" + marker.toUtf8() + "'\"}\n");
        const QString good = dir.filePath(QStringLiteral("good.json"));
        const auto r
            = nestscope(QStringList { QStringLiteral("run"), QStringLiteral("--local"), QStringLiteral("--plan"), plan,
                            QStringLiteral("--markdown"), dir.filePath(QStringLiteral("good.md")) }
                + outputs);
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(message.toUtf8()), r.err.constData());
        QVERIFY2(!QFile::exists(marker), r.err.constData()); // nothing ran
        QVERIFY(!r.err.contains("Discovering"));
    }

    void topologyOutputsAreCheckedBeforeDiscovery()
    {
        QTemporaryDir dir;
        const QString bin = dir.filePath(QStringLiteral("bin"));
        QVERIFY(QDir().mkpath(bin));
        const QString marker = dir.filePath(QStringLiteral("discovered"));
        writeFile(bin + QStringLiteral("/ip"), "#!/bin/sh\ntouch '" + marker.toUtf8() + "'\n", true);
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("PATH"), bin + QLatin1Char(':') + env.value(QStringLiteral("PATH")));
        const auto r = nestscope({ QStringLiteral("topology"), QStringLiteral("--local"), QStringLiteral("--json"),
                                     dir.filePath(QStringLiteral("t.json")), QStringLiteral("--svg"),
                                     QStringLiteral("/nonexistent-nestscope/t.svg") },
            env);
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("cannot write --svg /nonexistent-nestscope/t.svg: the folder /nonexistent-nestscope "
                                "does not exist"),
            r.err.constData());
        QVERIFY(!QFile::exists(marker));
        QVERIFY(!QFile::exists(dir.filePath(QStringLiteral("t.json"))));
    }

    void writeErrorsOnStandardOutputAreReported()
    {
        for (const QString &command : { QStringLiteral("run"), QStringLiteral("topology") }) {
            QProcess p;
            p.setStandardOutputFile(QStringLiteral("/dev/full"));
            QStringList args { command, QStringLiteral("--local"), QStringLiteral("--json"), QStringLiteral("-") };
            if (command == QLatin1String("run")) {
                args << QStringLiteral("--no-topology") << QStringLiteral("--plan")
                     << data(QStringLiteral("all-pass.yaml"));
            }
            p.start(QStringLiteral(NESTSCOPE_BINARY), args);
            QVERIFY(p.waitForFinished(60000));
            const QByteArray err = p.readAllStandardError();
            QCOMPARE(p.exitStatus(), QProcess::NormalExit);
            QCOMPARE(p.exitCode(), 2);
            const QByteArray expected
                = "nestscope " + command.toUtf8() + ": cannot write to standard output: No space left on device";
            QVERIFY2(err.contains(expected), err.constData());
        }
        // The same through a path: /dev/full is written into (a device) and the error is reported.
        const auto r = nestscope({ QStringLiteral("run"), QStringLiteral("--local"), QStringLiteral("--no-topology"),
            QStringLiteral("--quiet"), QStringLiteral("--plan"), data(QStringLiteral("all-pass.yaml")),
            QStringLiteral("--markdown"), QStringLiteral("/dev/full") });
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("cannot write /dev/full: No space left on device"), r.err.constData());
    }

    void aReaderThatGoesAwayIsAWriteError()
    {
        // `nestscope run --json - | head -c 10`: the JSON's reader is gone while the run goes on.
        // That is a write error (exit code 2, the other outputs written), not a SIGPIPE that ends
        // the run; and a probe still sees SIGPIPE as it would in a shell (`yes | head` ends).
        QTemporaryDir dir;
        const QString go = dir.filePath(QStringLiteral("go"));
        const QString yesRc = dir.filePath(QStringLiteral("yes.rc"));
        const QString plan = dir.filePath(QStringLiteral("plan.yaml"));
        writeFile(plan,
            "name: Waits\nprobes:\n  - id: waits\n    kind: shell\n    command: \"while [ ! -e '" + go.toUtf8()
                + "' ]; do sleep 0.05; done; { yes; echo $? > '" + yesRc.toUtf8() + "'; } | head -n 1\"\n");
        const QString markdown = dir.filePath(QStringLiteral("run.md"));
        const QString rc = dir.filePath(QStringLiteral("rc"));
        // The reader closes its end of the pipe, and only then lets the probe finish.
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("GO"), go);
        env.insert(QStringLiteral("RC"), rc);
        p.setProcessEnvironment(env);
        p.start(QStringLiteral("/bin/sh"),
            { QStringLiteral("-c"),
                QStringLiteral("( \"$0\" \"$@\"; echo $? > \"$RC\" ) | { exec <&-; touch \"$GO\"; }"),
                QStringLiteral(NESTSCOPE_BINARY), QStringLiteral("run"), QStringLiteral("--local"),
                QStringLiteral("--no-topology"), QStringLiteral("--quiet"), QStringLiteral("--plan"), plan,
                QStringLiteral("--json"), QStringLiteral("-"), QStringLiteral("--markdown"), markdown });
        QVERIFY(p.waitForFinished(60000));
        const QByteArray err = p.readAllStandardError();
        QFile code(rc);
        QVERIFY(code.open(QIODevice::ReadOnly));
        QCOMPARE(code.readAll().trimmed(), QByteArray("2"));
        QVERIFY2(err.contains("cannot write to standard output: Broken pipe"), err.constData());
        QVERIFY2(err.contains("Waits: 1 pass"), err.constData());
        QFile m(markdown);
        QVERIFY(m.open(QIODevice::ReadOnly));
        QVERIFY(m.readAll().contains("**Every expectation held** (1 samples)."));
        QFile yes(yesRc);
        QVERIFY(yes.open(QIODevice::ReadOnly));
        QCOMPARE(yes.readAll().trimmed(), QByteArray("141")); // 128 + SIGPIPE, as in a shell
    }

    void targetOutputCannotDriveTheTerminal()
    {
        QTemporaryDir dir;
        const QString plan = dir.filePath(QStringLiteral("plan.yaml"));
        // The plan's name carries an ESC, the probe's stderr a title change and a screen clear.
        writeFile(plan,
            "name: \"Evil \\e[31mplan\"\nprobes:\n"
            "  - id: noisy\n    kind: shell\n    command: printf '\\033]0;pwned\\007\\033[2J\\n' >&2; exit 1\n");
        const auto logged = nestscope({ QStringLiteral("run"), QStringLiteral("--local"),
            QStringLiteral("--no-topology"), QStringLiteral("--plan"), plan });
        QCOMPARE(logged.exitCode, 1);
        QVERIFY2(!logged.err.contains('\x1b') && !logged.err.contains('\x07'), logged.err.constData());
        QVERIFY2(logged.err.contains("\\x1b]0;pwned\\x07\\x1b[2J"), logged.err.constData());
        QVERIFY2(logged.err.contains("Evil \\x1b[31mplan: 0 pass, 1 fail"), logged.err.constData());

        // On a terminal only the bar's own "\r\x1b[K" remains.
        if (QStandardPaths::findExecutable(QStringLiteral("script")).isEmpty()) {
            QSKIP("script(1) (bsdutils) is not installed");
        }
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("TERM"), QStringLiteral("xterm"));
        p.setProcessEnvironment(env);
        const QString command = QStringLiteral("stty cols 100; exec '%1' run --local --no-topology --plan '%2'")
                                    .arg(QStringLiteral(NESTSCOPE_BINARY), plan);
        p.start(QStringLiteral("script"), { QStringLiteral("-qefc"), command, QStringLiteral("/dev/null") });
        QVERIFY(p.waitForFinished(60000));
        QByteArray tty = p.readAllStandardOutput();
        QVERIFY2(tty.contains("\\x1b]0;pwned"), tty.constData());
        tty.replace("\r\x1b[K", "");
        QVERIFY2(!tty.contains('\x1b') && !tty.contains('\x07'), tty.constData());
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
