#include "common/appsettings.h"
#include "plan/plan.h"
#include "plan/targetsetup.h"
#include "transport/instancetransport.h"
#include "transport/transport.h"

#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace nestscope;

namespace {

/// Answers every command with one canned result (from the event loop) and keeps the commands.
class CannedJob final : public CommandJob {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(CannedJob)
public:
    explicit CannedJob(const CommandResult &result, QObject *parent)
        : CommandJob(parent)
    {
        QMetaObject::invokeMethod(
            this,
            [this, result] {
                Q_EMIT finished(result);
                deleteLater();
            },
            Qt::QueuedConnection);
    }
    void cancel() override { }
};

class CannedTransport final : public Transport {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(CannedTransport)
public:
    using Transport::Transport;
    QString description() const override { return QStringLiteral("canned"); }
    CommandJob *start(const CommandRequest &request) override
    {
        m_commands << request.command;
        return new CannedJob(m_result, this);
    }
    CommandResult m_result;
    QStringList m_commands;
};

Plan planOf(const char *yaml)
{
    auto plan = parsePlan(QByteArray(yaml));
    if (!plan) {
        qFatal("%s", qPrintable(plan.error().toString()));
    }
    return plan.value();
}

} // namespace

class TestAppSettings : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString iniPath() const { return m_dir.filePath(QStringLiteral("settings.ini")); }

private Q_SLOTS:
    void init()
    {
        QVERIFY(m_dir.isValid());
        QFile::remove(iniPath());
    }

    void defaults()
    {
        QSettings empty(iniPath(), QSettings::IniFormat);
        const AppSettings s = AppSettings::load(empty);
        QCOMPARE(s, AppSettings {});
        QCOMPARE(s.defaultPlan, QStringLiteral("builtin:local-basics"));
        QCOMPARE(s.concurrency, 0);
        QCOMPARE(s.defaultTimeout.count(), 0);
        QCOMPARE(s.client, InstanceTransport::Client::Auto);
        QCOMPARE(s.outputCapBytes, CommandRequest().outputCap);
        QCOMPARE(s.theme, AppSettings::Theme::System);
    }

    void roundTrip()
    {
        AppSettings s;
        s.defaultPlan = QStringLiteral("/tmp/some plan.yaml");
        s.concurrency = 7;
        s.defaultTimeout = std::chrono::seconds(42);
        s.client = InstanceTransport::Client::Incus;
        s.outputCapBytes = 16 * 1024;
        s.theme = AppSettings::Theme::Dark;
        {
            QSettings out(iniPath(), QSettings::IniFormat);
            s.save(out);
        }
        QSettings in(iniPath(), QSettings::IniFormat);
        QCOMPARE(in.value(QStringLiteral("settings/version")).toInt(), 1);
        QCOMPARE(in.value(QStringLiteral("settings/client")).toString(), QStringLiteral("incus"));
        QCOMPARE(AppSettings::load(in), s);
    }

    void otherVersionIgnored_data()
    {
        QTest::addColumn<QVariant>("version");
        QTest::newRow("older") << QVariant(0);
        QTest::newRow("newer") << QVariant(2);
        QTest::newRow("garbage") << QVariant(QStringLiteral("one"));
        QTest::newRow("missing") << QVariant();
    }
    void otherVersionIgnored()
    {
        QFETCH(QVariant, version);
        {
            QSettings out(iniPath(), QSettings::IniFormat);
            AppSettings s;
            s.concurrency = 9;
            s.theme = AppSettings::Theme::Light;
            s.save(out);
            if (version.isValid()) {
                out.setValue(QStringLiteral("settings/version"), version);
            } else {
                out.remove(QStringLiteral("settings/version"));
            }
        }
        QSettings in(iniPath(), QSettings::IniFormat);
        if (version.isValid()) {
            QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("^settings: version")));
        }
        QCOMPARE(AppSettings::load(in), AppSettings {});
    }

    void outOfRangeRefused_data()
    {
        QTest::addColumn<QString>("key");
        QTest::addColumn<QVariant>("value");
        QTest::newRow("concurrency negative") << QStringLiteral("concurrency") << QVariant(-1);
        QTest::newRow("concurrency too many") << QStringLiteral("concurrency") << QVariant(65);
        QTest::newRow("concurrency text") << QStringLiteral("concurrency") << QVariant(QStringLiteral("lots"));
        QTest::newRow("timeout negative") << QStringLiteral("defaultTimeoutSeconds") << QVariant(-5);
        QTest::newRow("timeout two days") << QStringLiteral("defaultTimeoutSeconds") << QVariant(2 * 86400);
        QTest::newRow("cap too small") << QStringLiteral("outputCapBytes") << QVariant(10);
        QTest::newRow("cap too large") << QStringLiteral("outputCapBytes") << QVariant(qint64(1) << 40);
        QTest::newRow("client unknown") << QStringLiteral("client") << QVariant(QStringLiteral("docker"));
        QTest::newRow("theme unknown") << QStringLiteral("theme") << QVariant(QStringLiteral("solarized"));
    }
    void outOfRangeRefused()
    {
        QFETCH(QString, key);
        QFETCH(QVariant, value);
        AppSettings chosen;
        chosen.concurrency = 3;
        chosen.defaultTimeout = std::chrono::seconds(5);
        chosen.outputCapBytes = 4096;
        chosen.client = InstanceTransport::Client::Lxc;
        chosen.theme = AppSettings::Theme::Dark;
        {
            QSettings out(iniPath(), QSettings::IniFormat);
            chosen.save(out);
            out.setValue(QStringLiteral("settings/") + key, value);
        }
        QSettings in(iniPath(), QSettings::IniFormat);
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("^settings: %1=").arg(key)));
        const AppSettings loaded = AppSettings::load(in);
        // The refused value falls back to its default; every other value stays as chosen.
        AppSettings expected = chosen;
        const AppSettings defaults;
        if (key == QLatin1String("concurrency")) {
            expected.concurrency = defaults.concurrency;
        } else if (key == QLatin1String("defaultTimeoutSeconds")) {
            expected.defaultTimeout = defaults.defaultTimeout;
        } else if (key == QLatin1String("outputCapBytes")) {
            expected.outputCapBytes = defaults.outputCapBytes;
        } else if (key == QLatin1String("client")) {
            expected.client = defaults.client;
        } else {
            expected.theme = defaults.theme;
        }
        QCOMPARE(loaded, expected);
    }

    void applyToPlan()
    {
        Plan plan = planOf("name: t\n"
                           "targets: [runner]\n"
                           "defaults: {timeout: 30s, concurrency: 4}\n"
                           "probes:\n"
                           "  - {id: own, kind: shell, command: 'true', timeout: 3s}\n"
                           "  - {id: plain, kind: shell, command: 'true'}\n"
                           "  - {id: pkg, kind: package}\n");
        const Plan original = plan;
        AppSettings untouched;
        untouched.applyTo(plan);
        QCOMPARE(plan.concurrency, 4);
        QCOMPARE(plan.probes.at(1).timeout, std::chrono::milliseconds(30000));

        AppSettings s;
        s.concurrency = 1;
        s.defaultTimeout = std::chrono::seconds(7);
        s.applyTo(plan);
        QCOMPARE(plan.concurrency, 1);
        QCOMPARE(plan.probes.at(0).timeout, std::chrono::milliseconds(3000)); // its own stays
        QCOMPARE(plan.probes.at(1).timeout, std::chrono::milliseconds(7000));
        QCOMPARE(plan.probes.at(2).timeout, std::chrono::milliseconds(120000)); // the package floor
        QCOMPARE(original.probes.at(2).timeout, std::chrono::milliseconds(120000));
    }

    void targetSetupUsesClient_data()
    {
        QTest::addColumn<InstanceTransport::Client>("client");
        QTest::addColumn<QString>("listedWith");
        QTest::newRow("auto") << InstanceTransport::Client::Auto << QStringLiteral("if command -v lxc");
        QTest::newRow("lxc") << InstanceTransport::Client::Lxc << QStringLiteral("lxc query");
        QTest::newRow("incus") << InstanceTransport::Client::Incus << QStringLiteral("incus query");
    }
    void targetSetupUsesClient()
    {
        QFETCH(InstanceTransport::Client, client);
        QFETCH(QString, listedWith);
        CannedTransport runner;
        runner.m_result.outcome = CommandOutcome::Exited;
        runner.m_result.exitCode = 0;
        runner.m_result.stdOut = R"([{"name":"c1","status":"Running","type":"container"}])";
        TargetSetup setup;
        setup.setClient(client);
        QSignalSpy ready(&setup, &TargetSetup::ready);
        setup.start(planOf("name: t\ntargets: [c1]\nprobes:\n  - {id: p, kind: shell, command: 'true'}\n"), &runner);
        QVERIFY(ready.wait(30000));
        QCOMPARE(runner.m_commands.size(), 1);
        QVERIFY2(runner.m_commands.first().startsWith(listedWith), qPrintable(runner.m_commands.first()));
        auto *instance = qobject_cast<InstanceTransport *>(setup.transports().value(QStringLiteral("c1")));
        QVERIFY(instance);
        QCOMPARE(instance->client(), client);
        if (client == InstanceTransport::Client::Incus) {
            QVERIFY(instance->wrap(QStringLiteral("true")).startsWith(QLatin1String("c=incus; ")));
        }
    }
};

QTEST_GUILESS_MAIN(TestAppSettings)
#include "tst_appsettings.moc"
