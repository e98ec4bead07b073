#include "plan/plan.h"

#include <QTest>

using namespace nestscope;
using namespace std::chrono_literals;

class TestPlan : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void minimalPlanRunsOnRunner()
    {
        const auto plan
            = parsePlan("probes:\n  - id: a\n    kind: shell\n    command: \"true\"\n", QStringLiteral("p.yaml"));
        QVERIFY2(plan.ok(), qPrintable(plan.ok() ? QString() : plan.error().toString()));
        QCOMPARE(plan->targets, QStringList { QStringLiteral("runner") });
        QCOMPARE(plan->probes.size(), 1);
        QCOMPARE(plan->probes.at(0).kind, ProbeKind::Shell);
        QCOMPARE(plan->probes.at(0).timeout, 30s);
        QCOMPARE(plan->probes.at(0).repeat, 1);
        QCOMPARE(plan->name, QStringLiteral("p.yaml"));
        QCOMPARE(plan->sampleCount(), 1);
    }

    void fullPlan()
    {
        const QByteArray yaml = R"(name: Full
description: every field
defaults:
  timeout: 2s
  repeat: 3
  concurrency: 2
targets: [runner]
probes:
  - id: web
    kind: http
    url: https://example.lab.test/path?q=1
    expect_status: [200, 204]
    timeout: 1500ms
  - id: sh
    kind: shell
    command: uname -r
    expect_exit: 0
    expect_stdout: "^[0-9]"
    repeat: 5
)";
        const auto plan = parsePlan(yaml);
        QVERIFY2(plan.ok(), qPrintable(plan.ok() ? QString() : plan.error().toString()));
        QCOMPARE(plan->name, QStringLiteral("Full"));
        QCOMPARE(plan->concurrency, 2);
        const Probe &web = plan->probes.at(0);
        QCOMPARE(web.kind, ProbeKind::Http);
        QCOMPARE(web.url.host(), QStringLiteral("example.lab.test"));
        QCOMPARE(web.expectStatus, (QList<int> { 200, 204 }));
        QCOMPARE(web.timeout, 1500ms);
        QCOMPARE(web.repeat, 3);
        QCOMPARE(web.line, 9);
        const Probe &sh = plan->probes.at(1);
        QCOMPARE(sh.timeout, 2s);
        QCOMPARE(sh.repeat, 5);
        QCOMPARE(sh.expectStdout, QStringLiteral("^[0-9]"));
        QCOMPARE(plan->sampleCount(), 8);
    }

    void jsonIsAccepted()
    {
        const auto plan = parsePlan(R"({"name": "J", "probes": [{"id": "a", "kind": "shell", "command": "true"}]})");
        QVERIFY(plan.ok());
        QCOMPARE(plan->probes.at(0).command, QStringLiteral("true"));
    }

    void errorsCarryPositions_data()
    {
        QTest::addColumn<QByteArray>("yaml");
        QTest::addColumn<int>("line");
        QTest::addColumn<int>("column");
        QTest::addColumn<QString>("message");

        QTest::newRow("empty") << QByteArray("") << 1 << 1 << "the plan is empty";
        QTest::newRow("deep nesting") << QByteArray(2000, '[') << 1 << 1 << "more than 500 levels deep";
        QTest::newRow("not a map") << QByteArray("- a\n- b\n") << 1 << 1 << "a plan is a mapping";
        QTest::newRow("syntax") << QByteArray("name: x\nprobes:\n  - id: a\n   kind: [shell\n") << 4 << 4
                                << "YAML syntax error";
        QTest::newRow("unknown top key") << QByteArray("name: x\nprobs: []\n") << 2 << 1
                                         << "unknown key \"probs\" in the plan";
        QTest::newRow("no probes") << QByteArray("name: x\n") << 1 << 1 << "has no probes";
        QTest::newRow("probes not a list") << QByteArray("probes: 3\n") << 1 << 9 << "must be a non-empty list";
        QTest::newRow("unknown kind") << QByteArray("probes:\n  - id: a\n    kind: htpp\n") << 3 << 11
                                      << "unknown probe kind \"htpp\"";
        QTest::newRow("missing id") << QByteArray("probes:\n  - kind: shell\n    command: x\n") << 2 << 5
                                    << "probe has no id";
        QTest::newRow("bad id") << QByteArray("probes:\n  - id: 'a b'\n    kind: shell\n    command: x\n") << 2 << 9
                                << "may only use letters";
        QTest::newRow("duplicate id") << QByteArray(
            "probes:\n  - {id: a, kind: shell, command: x}\n  - {id: a, kind: shell, command: y}\n")
                                      << 3 << 10 << "used twice";
        QTest::newRow("unknown probe key") << QByteArray("probes:\n  - id: a\n    kind: shell\n    comand: x\n") << 4
                                           << 5 << "unknown key \"comand\" in probe \"a\"";
        QTest::newRow("shell without command")
            << QByteArray("probes:\n  - id: a\n    kind: shell\n") << 2 << 5 << "needs a command";
        QTest::newRow("bad duration") << QByteArray(
            "defaults:\n  timeout: 10 parsecs\nprobes:\n  - {id: a, kind: shell, command: x}\n")
                                      << 2 << 12 << "is not a duration";
        QTest::newRow("zero duration") << QByteArray("probes:\n  - {id: a, kind: shell, command: x, timeout: 0s}\n")
                                       << 2 << 47 << "is not a duration";
        QTest::newRow("bad repeat") << QByteArray(
            "defaults:\n  repeat: many\nprobes:\n  - {id: a, kind: shell, command: x}\n")
                                    << 2 << 11 << "whole number";
        QTest::newRow("bad url") << QByteArray("probes:\n  - id: a\n    kind: http\n    url: ftp://x/\n") << 4 << 10
                                 << "is not an http";
        QTest::newRow("bad status") << QByteArray(
            "probes:\n  - id: a\n    kind: http\n    url: http://x/\n    expect_status: 999\n")
                                    << 5 << 20 << "from 100 to 599";
        QTest::newRow("bad regex") << QByteArray(
            "probes:\n  - id: a\n    kind: shell\n    command: x\n    expect_stdout: '(('\n")
                                   << 5 << 20 << "not a valid regular expression";
        QTest::newRow("instance target") << QByteArray(
            "targets: [runner, vm1]\nprobes:\n  - {id: a, kind: shell, command: x}\n")
                                         << 1 << 19 << "target \"vm1\" is not supported yet";
    }

    void errorsCarryPositions()
    {
        QFETCH(QByteArray, yaml);
        QFETCH(int, line);
        QFETCH(int, column);
        QFETCH(QString, message);
        const auto plan = parsePlan(yaml, QStringLiteral("plan.yaml"));
        QVERIFY(!plan.ok());
        const Error &e = plan.error();
        QVERIFY2(e.message.contains(message), qPrintable(e.message));
        QCOMPARE(e.file, QStringLiteral("plan.yaml"));
        QCOMPARE(e.line, line);
        QCOMPARE(e.column, column);
        QVERIFY(e.toString().startsWith(QStringLiteral("plan.yaml:%1:%2: ").arg(line).arg(column)));
    }

    void fileErrors()
    {
        const QString bad = QStringLiteral(NESTSCOPE_TEST_DATA_DIR "/plans/bad-kind.yaml");
        const auto plan = loadPlanFile(bad);
        QVERIFY(!plan.ok());
        QCOMPARE(plan.error().toString(),
            bad + QStringLiteral(":7:11: unknown probe kind \"htpp\"; this version knows shell and http"));

        const auto missing = loadPlanFile(QStringLiteral("/nonexistent/plan.yaml"));
        QVERIFY(!missing.ok());
        QVERIFY(missing.error().toString().startsWith(QStringLiteral("/nonexistent/plan.yaml: cannot read the plan")));
    }

    void builtinPlans()
    {
        QVERIFY(builtinPlanNames().contains(QStringLiteral("local-basics")));
        for (const QString &name : builtinPlanNames()) {
            const auto plan = loadPlan(QStringLiteral("builtin:") + name);
            QVERIFY2(plan.ok(), qPrintable(plan.ok() ? QString() : plan.error().toString()));
            QVERIFY(!plan->probes.isEmpty());
        }
        const auto unknown = loadPlan(QStringLiteral("builtin:nope"));
        QVERIFY(!unknown.ok());
        QVERIFY(unknown.error().message.contains(QStringLiteral("local-basics")));
    }

    void durations_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<qint64>("ms");
        QTest::newRow("seconds") << "10s" << qint64(10000);
        QTest::newRow("bare") << "3" << qint64(3000);
        QTest::newRow("ms") << "250ms" << qint64(250);
        QTest::newRow("fraction") << "1.5s" << qint64(1500);
        QTest::newRow("minutes") << "2m" << qint64(120000);
        QTest::newRow("spaces") << " 5 s " << qint64(5000);
        QTest::newRow("garbage") << "soon" << qint64(-1);
        QTest::newRow("negative") << "-1s" << qint64(-1);
        QTest::newRow("too long") << "25h" << qint64(-1);
    }

    void durations()
    {
        QFETCH(QString, text);
        QFETCH(qint64, ms);
        const auto d = parseDuration(text);
        if (ms < 0) {
            QVERIFY(!d.has_value());
        } else {
            QVERIFY(d.has_value());
            QCOMPARE(d->count(), ms);
        }
    }
};

QTEST_GUILESS_MAIN(TestPlan)
#include "tst_plan.moc"
