#include "plan/plan.h"

#include <QFile>
#include <QTemporaryDir>
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
    expect_stdout: '^[0-9]'
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

    void probeFamiliesOfTheBuiltinPlan()
    {
        const Result<Plan> plan = loadPlan(QStringLiteral("builtin:nested-vm-network"));
        QVERIFY2(plan, qPrintable(plan ? QString() : plan.error().toString()));
        const QHash<QString, Family> f = probeFamilies(*plan);
        QCOMPARE(f.value(QStringLiteral("http-ipv4")), Family::IPv4);
        QCOMPARE(f.value(QStringLiteral("icmp-ipv6")), Family::IPv6);
        QCOMPARE(f.value(QStringLiteral("ipv4-default-route")), Family::IPv4); // a fact names its family
        QCOMPARE(f.value(QStringLiteral("ipv6-enabled")), Family::IPv6);
        QCOMPARE(f.value(QStringLiteral("resolver"), Family::IPv4), Family::Any);
        QCOMPARE(f.value(QStringLiteral("registry"), Family::IPv4), Family::Any); // a URL over either family
        QCOMPARE(f.size(), plan->probes.size());
    }

    void jsonIsAccepted()
    {
        const auto plan
            = parsePlan("{\"name\": \"J\", \"probes\": [{\"id\": \"a\", \"kind\": \"shell\", \"command\": \"true\"}]}");
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
            << QByteArray("probes:\n  - id: a\n    kind: shell\n") << 2 << 5 << "needs command";
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
        QTest::newRow("bad min_bytes") << QByteArray(
            "probes:\n  - id: a\n    kind: http\n    url: http://x/\n    min_bytes: 1MiB\n")
                                       << 5 << 16 << "min_bytes must be a whole number of bytes";
        QTest::newRow("bad regex") << QByteArray(
            "probes:\n  - id: a\n    kind: shell\n    command: x\n    expect_stdout: '(('\n")
                                   << 5 << 20 << "not a valid regular expression";
        QTest::newRow("bad target") << QByteArray(
            "targets: [runner, 'vm1; reboot']\nprobes:\n  - {id: a, kind: shell, command: x}\n")
                                    << 1 << 19 << "is not runner, all, an instance name or a glob";
        QTest::newRow("undefined variable") << QByteArray("probes:\n  - {id: a, kind: http, url: 'http://${nope}/'}\n")
                                            << 2 << 30 << "uses ${nope}, which is not defined";
        QTest::newRow("variable in single quotes")
            << QByteArray("variables: {x: 1}\nprobes:\n  - {id: a, kind: shell, command: \"echo '${x}'\"}\n") << 3 << 35
            << "inside single quotes";
        QTest::newRow("bad variable name")
            << QByteArray("variables: {'a b': 1}\nprobes:\n  - {id: a, kind: shell, command: x}\n") << 1 << 13
            << "variable name \"a b\"";
        QTest::newRow("unknown fact") << QByteArray("probes:\n  - {id: a, kind: fact, fact: ipv5-address}\n") << 2 << 31
                                      << "unknown fact \"ipv5-address\"";
        QTest::newRow("dns record") << QByteArray("probes:\n  - {id: a, kind: dns, name: x.test, record: MX}\n") << 2
                                    << 46 << "record must be A or AAAA";
        QTest::newRow("host injection") << QByteArray(
            "probes:\n  - {id: a, kind: tcp, host: 'x.test; touch /tmp/m', port: 80}\n")
                                        << 2 << 30 << "is not a host name or an IP address";
        QTest::newRow("url injection") << QByteArray(
            "probes:\n  - {id: a, kind: http, url: 'http://x.test$(touch /tmp/m)/'}\n")
                                       << 2 << 30 << "is not an http";
        QTest::newRow("port range") << QByteArray("probes:\n  - {id: a, kind: tcp, host: x.test, port: 70000}\n") << 2
                                    << 44 << "from 1 to 65535";
        QTest::newRow("family on fact") << QByteArray(
            "probes:\n  - {id: a, kind: fact, fact: resolver, family: ipv4}\n")
                                        << 2 << 41 << "unknown key \"family\" in probe \"a\" (fact)";
        QTest::newRow("bad family") << QByteArray("probes:\n  - {id: a, kind: icmp, host: x.test, family: ipx}\n") << 2
                                    << 47 << "family must be ipv4, ipv6 or any";
        QTest::newRow("key of other kind") << QByteArray("probes:\n  - {id: a, kind: dns, name: x.test, port: 53}\n")
                                           << 2 << 38 << "unknown key \"port\" in probe \"a\" (dns)";
        QTest::newRow("guard on later probe") << QByteArray(
            "probes:\n  - {id: a, kind: shell, command: x, when: {passed: b}}\n  - {id: b, kind: shell, command: y}\n")
                                              << 2 << 53 << "not a probe defined above";
        QTest::newRow("guard bad tool") << QByteArray(
            "probes:\n  - {id: a, kind: shell, command: x, when: {tool: 'a b'}}\n")
                                        << 2 << 51 << "is not a program name";
        QTest::newRow("expect unknown probe")
            << QByteArray("probes:\n  - {id: a, kind: shell, command: x}\nexpect:\n  - {probe: b*, result: fail}\n")
            << 4 << 13 << "no probe matches \"b*\"";
        // yaml-cpp keeps the first of two equal keys and reads only the first document: both used to
        // pass silently, so a plan ran other than it reads.
        QTest::newRow("duplicate top key")
            << QByteArray("name: a\nname: b\nprobes:\n  - {id: a, kind: shell, command: x}\n") << 2 << 1
            << "duplicate key \"name\" (first at line 1, column 1)";
        QTest::newRow("duplicate probe key")
            << QByteArray("probes:\n  - id: a\n    kind: shell\n    command: x\n    command: 'rm -rf ~'\n") << 5 << 5
            << "duplicate key \"command\" (first at line 4, column 5)";
        QTest::newRow("duplicate flow key") << QByteArray("probes:\n  - {id: a, kind: shell, command: x, id: b}\n") << 2
                                            << 38 << "duplicate key \"id\"";
        QTest::newRow("duplicate quoted key")
            << QByteArray("variables:\n  x: 1\n  \"x\": 2\nprobes:\n  - {id: a, kind: shell, command: x}\n") << 3 << 3
            << "duplicate key \"x\"";
        QTest::newRow("second document") << QByteArray(
            "probes:\n  - {id: a, kind: shell, command: x}\n---\nprobes:\n  - {id: b, kind: shell, command: "
            "y}\n") << 3 << 1 << "a second YAML document";
        QTest::newRow("empty second document")
            << QByteArray("probes:\n  - {id: a, kind: shell, command: x}\n...\n---\n") << 4 << 1
            << "a second YAML document";
        {
            // 65,536 lines of 64 bytes fill the limit exactly; the next byte is one too many.
            QByteArray big = QByteArray("# ").append(QByteArray(61, 'x')).append('\n').repeated(kMaxPlanBytes / 64);
            QTest::newRow("at the size limit, then one byte") << big + "p" << 65537 << 1
                                                              << "the plan is 4194305 bytes; a plan may be at most "
                                                                 "4194304 bytes (4 MiB)";
        }
        QTest::newRow("expect bad result")
            << QByteArray("probes:\n  - {id: a, kind: shell, command: x}\nexpect:\n  - {probe: a, result: maybe}\n")
            << 4 << 24 << "result must be pass or fail";
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

    void variablesAndOverrides()
    {
        const QByteArray yaml = R"(variables:
  host: www.lab.test
  path: /index.html
  greeting: hello
probes:
  - {id: web, kind: http, url: 'https://${host}${path}', family: ipv6}
  - {id: sh, kind: shell, command: 'echo ${greeting} ${host}'}
  - {id: ping, kind: icmp, host: '${host}', count: 5, max_loss: 20%}
)";
        const auto plain = parsePlan(yaml);
        QVERIFY2(plain.ok(), qPrintable(plain.ok() ? QString() : plain.error().toString()));
        QCOMPARE(plain->probes.at(0).url.toString(), QStringLiteral("https://www.lab.test/index.html"));
        QCOMPARE(plain->probes.at(0).family, Family::IPv6);
        QCOMPARE(plain->probes.at(1).command,
            QStringLiteral("nestscope_var_greeting=hello; nestscope_var_host=www.lab.test; echo "
                           "\"${nestscope_var_greeting}\" \"${nestscope_var_host}\""));
        QCOMPARE(plain->probes.at(2).host, QStringLiteral("www.lab.test"));
        QCOMPARE(plain->probes.at(2).maxLossPercent, 20);

        // A value from the command line reaches a shell command as one quoted word, never as code.
        const auto overridden
            = parsePlan(yaml, {}, { { QStringLiteral("greeting"), QStringLiteral("$(touch /tmp/marker); x") } });
        QVERIFY(overridden.ok());
        QCOMPARE(overridden->probes.at(1).command,
            QStringLiteral("nestscope_var_greeting='$(touch /tmp/marker); x'; nestscope_var_host=www.lab.test; "
                           "echo \"${nestscope_var_greeting}\" \"${nestscope_var_host}\""));
        // ... and cannot turn a URL or a host into something else.
        const auto badHost = parsePlan(yaml, {}, { { QStringLiteral("host"), QStringLiteral("x.test;reboot") } });
        QVERIFY(!badHost.ok());
        QCOMPARE(badHost.error().line, 6);

        const auto unknown
            = parsePlan(yaml, QStringLiteral("p.yaml"), { { QStringLiteral("hots"), QStringLiteral("x") } });
        QVERIFY(!unknown.ok());
        QVERIFY2(unknown.error().message.contains(QStringLiteral(
                     "--var hots: the plan has no variable \"hots\"; it declares: greeting, host, path")),
            qPrintable(unknown.error().message));
    }

    void everyKindParses()
    {
        const QByteArray yaml = R"(defaults: {timeout: 5s, target_concurrency: 2}
targets: [runner, all, 'vm*', web-1]
probes:
  - {id: v4, kind: fact, fact: ipv4-address}
  - {id: aaaa, kind: dns, name: www.lab.test, record: aaaa}
  - {id: tcp, kind: tcp, host: '2001:db8::1', port: 443, family: ipv6}
  - {id: mtu, kind: mtu, host: 10.0.0.1, size: 1400}
  - {id: apt, kind: package}
  - {id: pull, kind: docker, image: 'library/alpine:3.19', when: {passed: v4}}
  - {id: info, kind: docker, when: {tool: docker}}
expect:
  - {probe: '*', target: 'vm*', result: fail}
  - {probe: v4, target: 'vm2', result: pass}
)";
        const auto plan = parsePlan(yaml);
        QVERIFY2(plan.ok(), qPrintable(plan.ok() ? QString() : plan.error().toString()));
        QCOMPARE(plan->targets,
            (QStringList {
                QStringLiteral("runner"), QStringLiteral("all"), QStringLiteral("vm*"), QStringLiteral("web-1") }));
        QCOMPARE(plan->targetConcurrency, 2);
        QCOMPARE(plan->probes.at(0).fact, FactKind::Ipv4Address);
        QCOMPARE(plan->probes.at(1).family, Family::IPv6);
        QCOMPARE(plan->probes.at(2).port, 443);
        QCOMPARE(plan->probes.at(3).mtu, 1400);
        QCOMPARE(plan->probes.at(4).timeout, std::chrono::milliseconds(120000)); // package managers get longer
        QCOMPARE(plan->probes.at(5).when.probePassed, QStringLiteral("v4"));
        QCOMPARE(plan->probes.at(5).timeout, std::chrono::milliseconds(120000));
        QCOMPARE(plan->probes.at(6).timeout, std::chrono::milliseconds(5000));
        QCOMPARE(plan->probes.at(6).when.tool, QStringLiteral("docker"));
        QVERIFY(plan->expectsPass(QStringLiteral("tcp"), QStringLiteral("runner")));
        QVERIFY(!plan->expectsPass(QStringLiteral("tcp"), QStringLiteral("vm1")));
        QVERIFY(plan->expectsPass(QStringLiteral("v4"), QStringLiteral("vm2"))); // the later rule wins
        QVERIFY(!plan->expectsPass(QStringLiteral("v4"), QStringLiteral("vm1")));
    }

    void targetsResolve()
    {
        const QStringList all { QStringLiteral("vm1"), QStringLiteral("vm2"), QStringLiteral("web"),
            QStringLiteral("old") };
        const QStringList running { QStringLiteral("vm1"), QStringLiteral("vm2"), QStringLiteral("web") };
        auto r = resolveTargets({ QStringLiteral("runner"), QStringLiteral("vm*") }, all, running);
        QVERIFY(r.ok());
        QCOMPARE(r.value(), (QStringList { QStringLiteral("runner"), QStringLiteral("vm1"), QStringLiteral("vm2") }));
        r = resolveTargets({ QStringLiteral("web"), QStringLiteral("all"), QStringLiteral("old") }, all, running);
        QVERIFY(r.ok());
        QCOMPARE(r.value(),
            (QStringList {
                QStringLiteral("web"), QStringLiteral("vm1"), QStringLiteral("vm2"), QStringLiteral("old") }));
        r = resolveTargets({ QStringLiteral("runner"), QStringLiteral("vm3") }, all, running);
        QVERIFY(!r.ok());
        QCOMPARE(r.error().message,
            QStringLiteral("target \"vm3\" is not an instance on this runner; instances: vm1, vm2, web, old"));
        r = resolveTargets({ QStringLiteral("runner"), QStringLiteral("all") }, {}, {});
        QVERIFY(r.ok());
        QCOMPARE(r.value(), QStringList { QStringLiteral("runner") });
    }

    void hostsAndNames_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<bool>("host");
        QTest::addColumn<bool>("instance");
        QTest::newRow("dns") << "www.lab.test" << true << false;
        QTest::newRow("trailing dot") << "lab.test." << true << false;
        QTest::newRow("ipv4") << "10.1.2.3" << true << false;
        QTest::newRow("ipv6") << "fd42::1" << true << false;
        QTest::newRow("instance") << "vm1" << true << true;
        QTest::newRow("dashes") << "my-vm-2" << true << true;
        QTest::newRow("space") << "a b" << false << false;
        QTest::newRow("semicolon") << "a;b" << false << false;
        QTest::newRow("dollar") << "$(id)" << false << false;
        QTest::newRow("leading dash") << "-oProxyCommand=x" << false << false;
        QTest::newRow("digit first") << "1vm" << true << false;
        QTest::newRow("empty") << "" << false << false;
        QTest::newRow("scope id") << "fe80::1%$(id)" << false << false;
        QTest::newRow("leading blank") << " 10.0.0.1" << false << false;
    }

    void hostsAndNames()
    {
        QFETCH(QString, text);
        QFETCH(bool, host);
        QFETCH(bool, instance);
        QCOMPARE(isValidHost(text), host);
        QCOMPARE(isValidInstanceName(text), instance);
    }

    void fileErrors()
    {
        const QString bad = QStringLiteral(NESTSCOPE_TEST_DATA_DIR "/plans/bad-kind.yaml");
        const auto plan = loadPlanFile(bad);
        QVERIFY(!plan.ok());
        QCOMPARE(plan.error().toString(),
            bad
                + QStringLiteral(":7:11: unknown probe kind \"htpp\"; use one of: shell, http, fact, dns, tcp, icmp, "
                                 "mtu, package, docker"));

        const auto missing = loadPlanFile(QStringLiteral("/nonexistent/plan.yaml"));
        QVERIFY(!missing.ok());
        QVERIFY(missing.error().toString().startsWith(QStringLiteral("/nonexistent/plan.yaml: cannot read the plan")));
    }

    void sameKeysInDifferentMappingsAreFine()
    {
        const auto plan = parsePlan("---\nname: x\nprobes:\n  - {id: a, kind: shell, command: x}\n"
                                    "  - {id: b, kind: shell, command: y}\n...\n# a comment after the end\n");
        QVERIFY2(plan.ok(), qPrintable(plan.ok() ? QString() : plan.error().toString()));
        QCOMPARE(plan->probes.size(), 2);
        // Exactly at the limit still parses.
        QByteArray text = "probes: [{id: a, kind: shell, command: x}]\n";
        text += QByteArray("#").append(QByteArray(kMaxPlanBytes - text.size() - 2, 'x')).append('\n');
        QCOMPARE(text.size(), kMaxPlanBytes);
        QVERIFY(parsePlan(text).ok());
    }

    void largePlanFileIsRefusedBeforeItIsRead()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("huge.yaml"));
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        const QByteArray line = QByteArray("# ").append(QByteArray(1021, 'x')).append('\n');
        for (int i = 0; i < 50 * 1024; ++i) { // 50 MiB
            f.write(line);
        }
        f.close();
        const auto plan = loadPlanFile(path);
        QVERIFY(!plan.ok());
        QCOMPARE(plan.error().file, path);
        QVERIFY2(plan.error().message.contains(QStringLiteral("the plan is 52428800 bytes; a plan may be at most")),
            qPrintable(plan.error().message));
        QCOMPARE(plan.error().line, 4097); // where the limit is crossed
        QCOMPARE(plan.error().column, 1);
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
