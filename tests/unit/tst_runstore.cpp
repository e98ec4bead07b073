#include "plan/planrunner.h"
#include "results/runjson.h"
#include "results/runrecorder.h"
#include "results/runstore.h"
#include "results/storeschema.h"
#include "storetestdata.h"
#include "transport/localtransport.h"

#include <QCryptographicHash>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

#include <unistd.h>

using namespace nestscope;
using testdata::numberedSample;
using testdata::sameSample;

namespace {

RunHeader header(const QString &plan = QStringLiteral("two probes"))
{
    RunHeader h;
    h.planName = plan;
    h.planFile = QStringLiteral("/plans/two-probes.yaml");
    h.planText = "name: Two probes\nprobes: []\n";
    h.variables = QJsonObject { { QStringLiteral("port"), 8080 } };
    h.host = QStringLiteral("local");
    h.probeIds = { QStringLiteral("probe-0"), QStringLiteral("probe-1") };
    h.targets = { QStringLiteral("runner"), QStringLiteral("vm1") };
    h.startedAt = QDateTime::fromMSecsSinceEpoch(1'700'000'000'000LL, Qt::UTC);
    h.tags = { QStringLiteral("before") };
    return h;
}

/// Runs SQL on a file with a connection of the test's own, outside RunStore.
QVariant rawQuery(const QString &file, const QString &sql)
{
    QVariant result;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("raw"));
        db.setDatabaseName(file);
        if (db.open()) {
            QSqlQuery q(db);
            if (q.exec(sql) && q.next()) {
                result = q.value(0);
            }
        }
        db.close();
    }
    QSqlDatabase::removeDatabase(QStringLiteral("raw"));
    return result;
}

} // namespace

class TestRunStore : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void opensAndMigrates_data()
    {
        QTest::addColumn<QByteArray>("existing"); // what is in the file before; "-" for no file
        QTest::addColumn<int>("userVersion"); // set with PRAGMA before opening, -1 to leave
        QTest::addColumn<QString>("error"); // part of the expected error, empty when it opens
        QTest::newRow("no file") << QByteArray("-") << -1 << QString();
        QTest::newRow("empty file") << QByteArray() << -1 << QString();
        QTest::newRow("v0 sqlite file") << QByteArray("sqlite") << 0 << QString();
        QTest::newRow("newer schema") << QByteArray("sqlite") << 99 << QStringLiteral("written by a newer Nestscope");
        QTest::newRow("not a database") << QByteArray("name: a plan, not a store\n") << -1
                                        << QStringLiteral("not a database");
    }

    void opensAndMigrates()
    {
        QFETCH(QByteArray, existing);
        QFETCH(int, userVersion);
        QFETCH(QString, error);
        QTemporaryDir dir;
        const QString file = dir.filePath(QStringLiteral("runs.sqlite"));
        if (existing == "sqlite") {
            // A file made by SQLite itself, as an older build (schema 0: no tables) leaves it.
            rawQuery(file, QStringLiteral("PRAGMA user_version = %1").arg(userVersion));
            QCOMPARE(rawQuery(file, QStringLiteral("PRAGMA user_version")).toInt(), userVersion);
        } else if (existing != "-") {
            QFile f(file);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(existing);
        }
        const QByteArray before = QFile::exists(file) ? [&] {
            QFile f(file);
            f.open(QIODevice::ReadOnly);
            return f.readAll();
        }()
                                                      : QByteArray();

        RunStore store;
        const auto opened = store.open(file);
        if (!error.isEmpty()) {
            QVERIFY(!opened);
            QVERIFY2(opened.error().message.contains(error), qPrintable(opened.error().toString()));
            QCOMPARE(opened.error().file, file);
            QVERIFY(!store.isOpen());
            QVERIFY(!store.beginRun(header())); // an error, not a crash
            store.addSample(1, numberedSample(0)); // ignored
            QFile f(file);
            QVERIFY(f.open(QIODevice::ReadOnly));
            QCOMPARE(f.readAll(), before); // a file we do not understand is left as it was
            return;
        }
        QVERIFY2(opened.ok(), opened ? "" : qPrintable(opened.error().toString()));
        QVERIFY(store.runs().isEmpty());
        QVERIFY(store.beginRun(header()).ok());
        store.close();
        QCOMPARE(rawQuery(file, QStringLiteral("PRAGMA user_version")).toInt(), RunStore::kSchemaVersion);
        QCOMPARE(rawQuery(file, QStringLiteral("PRAGMA journal_mode")).toString(), QStringLiteral("wal"));
        // Opening again does not migrate twice.
        QVERIFY(store.open(file).ok());
        QCOMPARE(store.runs().size(), 1);
    }

    void version1StoreGainsExperimentsAndKeepsItsRuns()
    {
        QTemporaryDir dir;
        const QString file = dir.filePath(QStringLiteral("runs.sqlite"));
        {
            RunStore store;
            QVERIFY(store.open(file).ok());
            QVERIFY(store.beginRun(header()).ok());
        }
        // what a store of schema 1 (before experiments) looks like
        rawQuery(file, QStringLiteral("DROP TABLE experiments"));
        rawQuery(file, QStringLiteral("PRAGMA user_version = 1"));
        RunStore store;
        QVERIFY(store.open(file).ok());
        QCOMPARE(store.runs().size(), 1);
        Experiment e;
        e.runner = QStringLiteral("ssh://u@h");
        e.steps = { { QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("n") } };
        e.baselineRun = store.runs().first().id;
        const auto id = store.addExperiment(e);
        QVERIFY(id.ok());
        QCOMPARE(store.experiments(QStringLiteral("ssh://u@h")).size(), 1);
        QCOMPARE(store.experiment(*id)->steps, e.steps);
        QCOMPARE(store.experiment(*id)->baselineRun, e.baselineRun);
        QVERIFY(store.experiments(QStringLiteral("elsewhere")).isEmpty());
        store.close();
        QCOMPARE(rawQuery(file, QStringLiteral("PRAGMA user_version")).toInt(), RunStore::kSchemaVersion);
    }

    void foreignDatabaseIsRefusedUntouched_data()
    {
        QTest::addColumn<QStringList>("setup"); // SQL another application ran on the file
        QTest::newRow("another application's tables")
            << QStringList { QStringLiteral("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"),
                   QStringLiteral("INSERT INTO notes (body) VALUES ('keep me')") };
        QTest::newRow("in WAL mode") << QStringList { QStringLiteral("PRAGMA journal_mode = WAL"),
            QStringLiteral("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"),
            QStringLiteral("INSERT INTO notes (body) VALUES ('keep me')") };
        QTest::newRow("its user_version is our schema")
            << QStringList { QStringLiteral("CREATE TABLE items (name TEXT)"),
                   QStringLiteral("PRAGMA user_version = 1") };
        QTest::newRow("a runs table, but not ours") << QStringList { QStringLiteral("CREATE TABLE runs (lap INTEGER)"),
            QStringLiteral("PRAGMA user_version = 1") };
        QTest::newRow("another application_id, no tables")
            << QStringList { QStringLiteral("PRAGMA application_id = 1179403647") }; // 'FOSL'
        QTest::newRow("only a view") << QStringList { QStringLiteral("CREATE VIEW answer AS SELECT 42") };
    }

    void foreignDatabaseIsRefusedUntouched()
    {
        QFETCH(QStringList, setup);
        QTemporaryDir dir;
        const QString file = dir.filePath(QStringLiteral("other.sqlite"));
        for (const QString &sql : std::as_const(setup)) {
            rawQuery(file, sql);
        }
        auto checksum = [&file] {
            QFile f(file);
            return f.open(QIODevice::ReadOnly) ? QCryptographicHash::hash(f.readAll(), QCryptographicHash::Sha256)
                                               : QByteArray();
        };
        const QByteArray before = checksum();
        QVERIFY(!before.isEmpty());
        QVERIFY(!QFile::exists(file + QStringLiteral("-wal")));
        QVERIFY(!QFile::exists(file + QStringLiteral("-shm")));

        RunStore store;
        const auto opened = store.open(file);
        QVERIFY(!opened);
        QVERIFY2(opened.error().message.contains(QStringLiteral("not a Nestscope run store")),
            qPrintable(opened.error().message));
        QCOMPARE(opened.error().file, file);
        QVERIFY(!store.isOpen());
        QCOMPARE(checksum(), before); // not one byte changed: no table, no user_version, no WAL switch
        QVERIFY(!QFile::exists(file + QStringLiteral("-wal")));
        QVERIFY(!QFile::exists(file + QStringLiteral("-shm")));
    }

    void newAndOlderStoresCarryTheApplicationId()
    {
        QTemporaryDir dir;
        const QString file = dir.filePath(QStringLiteral("runs.sqlite"));
        {
            RunStore store;
            QVERIFY(store.open(file).ok());
            QVERIFY(store.beginRun(header()).ok());
        }
        QCOMPARE(rawQuery(file, QStringLiteral("PRAGMA application_id")).toInt(), storeApplicationId());
        // A store written before stores were stamped (application_id 0) is still recognised by its
        // tables and is stamped when it is opened.
        rawQuery(file, QStringLiteral("PRAGMA application_id = 0"));
        QCOMPARE(rawQuery(file, QStringLiteral("PRAGMA application_id")).toInt(), 0);
        RunStore store;
        const auto opened = store.open(file);
        QVERIFY2(opened.ok(), opened ? "" : qPrintable(opened.error().toString()));
        QCOMPARE(store.runs().size(), 1);
        store.close();
        QCOMPARE(rawQuery(file, QStringLiteral("PRAGMA application_id")).toInt(), storeApplicationId());
    }

    void keepsEverySampleField_data()
    {
        QTest::addColumn<bool>("qtSqlOnly");
        QTest::newRow("sqlite3 binds") << false;
        QTest::newRow("QtSql only") << true; // what a Qt with its own SQLite copy gets
    }

    void keepsEverySampleField()
    {
        QFETCH(bool, qtSqlOnly);
        if (qtSqlOnly) {
            qputenv("NESTSCOPE_STORE_QTSQL_ONLY", "1");
        }
        const auto restore = qScopeGuard([] {
            qunsetenv("NESTSCOPE_STORE_QTSQL_ONLY");
        });
        QTemporaryDir dir;
        const QString file = dir.filePath(QStringLiteral("runs.sqlite"));
        qint64 id = 0;
        {
            RunStore store;
            QVERIFY(store.open(file).ok());
            QSignalSpy committed(&store, &RunStore::samplesCommitted);
            QSignalSpy changed(&store, &RunStore::runsChanged);
            RunHeader h = header();
            h.topologyJson = R"({"bridges":[{"name":"lxdbr0"}]})";
            const auto run = store.beginRun(h);
            QVERIFY(run.ok());
            id = *run;
            QCOMPARE(store.runInfo(id)->status, RunStatus::Running);
            for (int i = 0; i < 40; ++i) {
                store.addSample(id, numberedSample(i));
            }
            store.finishRun(id, RunStatus::Finished, h.startedAt.addSecs(12));
            QTRY_VERIFY_WITH_TIMEOUT(!committed.isEmpty() && committed.last().at(1).toInt() == 40, 30000);
            QCOMPARE(committed.last().at(0).toLongLong(), id);
            QTRY_VERIFY_WITH_TIMEOUT(changed.count() >= 2, 30000); // begun, finished
        }
        RunStore store;
        QVERIFY(store.open(file).ok());
        const auto info = store.runInfo(id);
        QVERIFY(info);
        QCOMPARE(info->status, RunStatus::Finished);
        QCOMPARE(info->samples, 40);
        QCOMPARE(info->passed, 16);
        QCOMPARE(info->failed, 8);
        QCOMPARE(info->timeouts, 8);
        QCOMPARE(info->errors, 8);
        QCOMPARE(info->tags, QStringList { QStringLiteral("before") });
        QCOMPARE(info->finishedAt, header().startedAt.addSecs(12));
        const auto run = store.loadRun(id);
        QVERIFY(run.ok());
        QCOMPARE(run->samples.size(), 40);
        for (int i = 0; i < 40; ++i) {
            QVERIFY2(sameSample(run->samples.at(i), numberedSample(i)), qPrintable(QString::number(i)));
        }
        QCOMPARE(run->probeIds, header().probeIds);
        QCOMPARE(run->targets, header().targets);
        QCOMPARE(run->planName, QStringLiteral("two probes"));
        const auto h = store.loadHeader(id);
        QVERIFY(h.ok());
        QCOMPARE(h->planText, header().planText);
        QCOMPARE(h->variables.value(QStringLiteral("port")).toInt(), 8080);
        QCOMPARE(h->topologyJson, QByteArray(R"({"bridges":[{"name":"lxdbr0"}]})"));

        // A run without a topology snapshot keeps NULL, not an empty string.
        const auto bare = store.beginRun(header());
        QVERIFY(bare.ok());
        QVERIFY(store.loadHeader(*bare)->topologyJson.isEmpty());
        QVERIFY(rawQuery(file, QStringLiteral("SELECT topology FROM runs WHERE id = %1").arg(*bare)).isNull());
    }

    void editsAndDeletesRuns()
    {
        QTemporaryDir dir;
        RunStore store;
        QVERIFY(store.open(dir.filePath(QStringLiteral("runs.sqlite"))).ok());
        const qint64 a = *store.beginRun(header(QStringLiteral("plan a")));
        const qint64 b = *store.beginRun(header(QStringLiteral("plan b")));
        store.addSample(a, numberedSample(1));
        store.finishRun(a, RunStatus::Finished, QDateTime::currentDateTimeUtc());
        store.finishRun(b, RunStatus::Cancelled, QDateTime::currentDateTimeUtc());
        store.flush();

        QSignalSpy changed(&store, &RunStore::runsChanged);
        QVERIFY(store.renameRun(a, QStringLiteral("  before the fix ")).ok());
        QVERIFY(
            store.setTags(a, { QStringLiteral("ipv6-only"), QStringLiteral(" "), QStringLiteral("ipv6-only") }).ok());
        QVERIFY(store.setNotes(a, QStringLiteral("bridge had no IPv4 subnet")).ok());
        QCOMPARE(changed.count(), 3);
        auto info = store.runInfo(a);
        QCOMPARE(info->name, QStringLiteral("before the fix"));
        QCOMPARE(info->displayName(), QStringLiteral("before the fix"));
        QCOMPARE(info->tags, QStringList { QStringLiteral("ipv6-only") });
        QCOMPARE(info->notes, QStringLiteral("bridge had no IPv4 subnet"));
        QVERIFY(store.runInfo(b)->displayName().startsWith(QStringLiteral("plan b · ")));
        QCOMPARE(store.runInfo(b)->status, RunStatus::Cancelled);
        QVERIFY(store.loadRun(b)->cancelled);

        QVERIFY(store.deleteRun(a).ok());
        QVERIFY(!store.runInfo(a));
        QVERIFY(!store.loadRun(a).ok());
        QCOMPARE(store.runs().size(), 1);
        // The samples went with the run.
        QCOMPARE(rawQuery(store.path(), QStringLiteral("SELECT count(*) FROM samples")).toInt(), 0);

        // A run that is still being written cannot be deleted from under its writer.
        const qint64 live = *store.beginRun(header());
        QVERIFY(!store.deleteRun(live).ok());
    }

    void importsAndExportsRunJson()
    {
        Run run;
        run.planName = QStringLiteral("from CI");
        run.host = QStringLiteral("ci-runner-7");
        run.planText = "name: from CI\nprobes: []\n";
        run.variables.insert(QStringLiteral("web_host"), QStringLiteral("www.lab.test"));
        run.topologyJson = QByteArrayLiteral("{\"hostname\":\"ci-runner-7\"}");
        run.probeIds = { QStringLiteral("probe-0"), QStringLiteral("probe-1") };
        run.targets = { QStringLiteral("runner"), QStringLiteral("vm1") };
        run.startedAt = QDateTime::fromMSecsSinceEpoch(1'700'000'000'000LL, Qt::UTC);
        run.finishedAt = run.startedAt.addSecs(3);
        for (int i = 0; i < 12; ++i) {
            run.samples << numberedSample(i);
        }
        const QByteArray json = runToJson(run);

        QTemporaryDir dir;
        RunStore store;
        QVERIFY(store.open(dir.filePath(QStringLiteral("runs.sqlite"))).ok());
        const auto id = store.importJson(json, QStringLiteral("ci.json"));
        QVERIFY2(id.ok(), id ? "" : qPrintable(id.error().toString()));
        const auto info = store.runInfo(*id);
        QCOMPARE(info->status, RunStatus::Finished);
        QCOMPARE(info->host, QStringLiteral("ci-runner-7"));
        QCOMPARE(info->samples, 12);
        const auto exported = store.exportJson(*id);
        QVERIFY(exported.ok());
        QCOMPARE(*exported, json); // byte for byte: nothing is lost on the way through the store
        const auto loaded = store.loadRun(*id);
        QCOMPARE(loaded->planText, run.planText); // the plan, its variables and the topology too
        QCOMPARE(loaded->variables, run.variables);
        QCOMPARE(loaded->topologyJson, run.topologyJson);

        const auto bad = store.importJson("{\"format\": \"something-else\"}", QStringLiteral("bad.json"));
        QVERIFY(!bad.ok());
        QVERIFY(bad.error().toString().contains(QStringLiteral("bad.json")));
        QCOMPARE(store.runs().size(), 1);

        // named after its file, so it can be told from the runs made here
        QVERIFY2(info->displayName().startsWith(QStringLiteral("ci.json · from CI · ci-runner-7 · ")),
            qPrintable(info->displayName()));
        // the same run again (the same file, or its export) is not stored twice
        bool already = false;
        const auto again = store.importJson(*exported, QStringLiteral("copy.json"), &already);
        QVERIFY(again.ok());
        QVERIFY(already);
        QCOMPARE(*again, *id);
        QCOMPARE(store.runs().size(), 1);
        // a different run of the same plan on the same runner is
        Run later = run;
        later.startedAt = run.startedAt.addSecs(60);
        later.finishedAt = later.startedAt.addSecs(3);
        const auto other = store.importJson(runToJson(later), QStringLiteral("later.json"), &already);
        QVERIFY(other.ok());
        QVERIFY(!already);
        QVERIFY(*other != *id);
        QCOMPARE(store.runs().size(), 2);
    }

    void liveRunIsNotCalledInterrupted()
    {
        QTemporaryDir dir;
        const QString file = dir.filePath(QStringLiteral("runs.sqlite"));
        RunStore writer;
        QVERIFY(writer.open(file).ok());
        const qint64 id = *writer.beginRun(header());
        {
            // A second window opening the same store while the run goes on.
            RunStore other;
            QVERIFY(other.open(file).ok());
            QCOMPARE(other.runInfo(id)->status, RunStatus::Running);
        }
        writer.close(); // gone without finishing the run, as after a crash
        RunStore later;
        QVERIFY(later.open(file).ok());
        QCOMPARE(later.runInfo(id)->status, RunStatus::Interrupted);
    }

    void recorderKeepsARealRun()
    {
        const QByteArray text = "name: Recorded\n"
                                "variables:\n"
                                "  word: hello\n"
                                "defaults: {repeat: 2, timeout: 5s}\n"
                                "probes:\n"
                                "  - {id: echo, kind: shell, command: \"echo ${word}\", expect_stdout: \"^hello$\"}\n"
                                "  - {id: fails, kind: shell, command: \"exit 3\"}\n";
        auto plan
            = parsePlan(text, QStringLiteral("recorded.yaml"), { { QStringLiteral("word"), QStringLiteral("hello") } });
        QVERIFY2(plan.ok(), plan ? "" : qPrintable(plan.error().toString()));
        QTemporaryDir dir;
        RunStore store;
        QVERIFY(store.open(dir.filePath(QStringLiteral("runs.sqlite"))).ok());
        LocalTransport transport;
        PlanRunner runner(*plan, { { QStringLiteral("runner"), &transport } });
        const QByteArray topology = QByteArrayLiteral("{\"hostname\":\"here\"}");
        runner.setTopologySnapshot(topology);
        RunRecorder recorder(&store, &runner);
        QVERIFY(recorder.isRecording());
        QSignalSpy finished(&runner, &PlanRunner::finished);
        runner.start();
        QVERIFY(finished.wait(30000));
        store.flush();

        const auto info = store.runInfo(recorder.runId());
        QCOMPARE(info->status, RunStatus::Finished);
        QCOMPARE(info->samples, 4);
        QCOMPARE(info->passed, 2);
        QCOMPARE(info->planName, QStringLiteral("Recorded"));
        const auto header = store.loadHeader(recorder.runId());
        QCOMPARE(header->planText, text);
        QCOMPARE(header->variables.value(QStringLiteral("word")).toString(), QStringLiteral("hello"));
        QCOMPARE(header->topologyJson, topology);
        const auto stored = store.loadRun(recorder.runId());
        QCOMPARE(stored->topologyJson, topology);
        QCOMPARE(stored->planText, text);
        // A snapshot that arrives later (the GUI discovers while the run goes on) replaces it,
        // written in order with the samples by the store's writer.
        const QByteArray later = QByteArrayLiteral("{\"hostname\":\"later\"}");
        recorder.setTopologySnapshot(later);
        store.flush();
        QCOMPARE(store.loadHeader(recorder.runId())->topologyJson, later);
        QVERIFY(recorder.isRecording());
        QCOMPARE(stored->samples.size(), runner.run().samples.size());
        for (int i = 0; i < stored->samples.size(); ++i) {
            QVERIFY(sameSample(stored->samples.at(i), runner.run().samples.at(i)));
        }
    }

    void recorderWithoutAStoreSaysSoOnce()
    {
        auto plan = parsePlan("name: p\nprobes: [{id: t, kind: shell, command: \"true\"}]\n");
        QVERIFY(plan.ok());
        LocalTransport transport;
        PlanRunner runner(*plan, { { QStringLiteral("runner"), &transport } });
        RunStore closed; // never opened
        RunRecorder recorder(&closed, &runner);
        QSignalSpy failed(&recorder, &RunRecorder::failed);
        QVERIFY(!recorder.isRecording());
        QVERIFY(failed.wait(30000)); // after the constructor, so a connection made right after it hears it
        QCOMPARE(failed.count(), 1);
        QVERIFY(failed.first().at(0).toString().contains(QStringLiteral("no run store is open")));
    }

    void killedWriterLosesNoCommittedSample()
    {
        QTemporaryDir dir;
        const QString file = dir.filePath(QStringLiteral("runs.sqlite"));
        QProcess child;
        child.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        child.start(QStringLiteral(RUNSTORE_CRASH_HELPER), { file, QStringLiteral("2") });
        QVERIFY(child.waitForStarted());
        int committed = 0;
        qint64 runId = 0;
        QByteArray buffer;
        QSignalSpy output(&child, &QProcess::readyReadStandardOutput);
        // Let it write for a while, then kill it in the middle of its stream of samples.
        while (committed < 300) {
            QVERIFY2(output.wait(30000), "the helper stopped reporting commits");
            buffer += child.readAllStandardOutput();
            qsizetype nl;
            while ((nl = buffer.indexOf('\n')) >= 0) {
                const QByteArray line = buffer.left(nl);
                buffer.remove(0, nl + 1);
                if (line.startsWith("run ")) {
                    runId = line.mid(4).toLongLong();
                } else if (line.startsWith("committed ")) {
                    committed = line.mid(10).toInt();
                }
            }
        }
        child.kill(); // SIGKILL: no destructor, no flush, no atexit
        QVERIFY(child.waitForFinished());
        QCOMPARE(child.exitStatus(), QProcess::CrashExit);
        // Reports it printed after our last read are also durable; read them so the check is exact.
        buffer += child.readAllStandardOutput();
        for (const QByteArray &line : buffer.split('\n')) {
            if (line.startsWith("committed ")) {
                committed = line.mid(10).toInt();
            }
        }

        RunStore store;
        QVERIFY(store.open(file).ok());
        const auto info = store.runInfo(runId);
        QVERIFY(info);
        QCOMPARE(info->status, RunStatus::Interrupted);
        const auto run = store.loadRun(runId);
        QVERIFY(run.ok());
        qInfo("the helper reported %d samples committed; the file holds %d", committed, int(run->samples.size()));
        QVERIFY(run->samples.size() >= committed);
        QCOMPARE(info->samples, run->samples.size()); // counters commit with their samples
        for (int i = 0; i < run->samples.size(); ++i) {
            QVERIFY2(sameSample(run->samples.at(i), numberedSample(i)), qPrintable(QString::number(i)));
        }
        QCOMPARE(rawQuery(file, QStringLiteral("PRAGMA integrity_check")).toString(), QStringLiteral("ok"));
        QVERIFY(!QFile::exists(file + QStringLiteral(".run-%1.lock").arg(runId))); // cleaned up by the open
    }

    void readOnlyLocationIsAClearError()
    {
        // /proc refuses new files even to root, so this holds whoever runs the tests.
        const QString file = QStringLiteral("/proc/nestscope-test/runs.sqlite");
        RunStore store;
        const auto opened = store.open(file);
        QVERIFY(!opened);
        QVERIFY2(opened.error().message.startsWith(QStringLiteral("cannot open the run store: ")),
            qPrintable(opened.error().message));
        QCOMPARE(opened.error().file, file);
        QVERIFY(!store.isOpen());
        QVERIFY(!store.beginRun(header()).ok());
        QVERIFY(store.runs().isEmpty());
    }

    void readOnlyFileIsAClearError()
    {
        if (::geteuid() == 0) {
            QSKIP("root writes to read-only files; readOnlyLocationIsAClearError covers this as root");
        }
        QTemporaryDir dir;
        const QString file = dir.filePath(QStringLiteral("runs.sqlite"));
        {
            RunStore store;
            QVERIFY(store.open(file).ok());
        }
        QVERIFY(QFile::setPermissions(file, QFile::ReadOwner | QFile::ReadGroup));
        RunStore store;
        const auto opened = store.open(file);
        QVERIFY(!opened);
        QVERIFY2(opened.error().message.contains(QStringLiteral("readonly"))
                || opened.error().message.contains(QStringLiteral("not writable")),
            qPrintable(opened.error().message));
    }

    void writeAheadLogStaysBoundedDuringALongRun_data()
    {
        QTest::addColumn<bool>("qtSqlOnly");
        QTest::newRow("sqlite3 binds") << false;
        QTest::newRow("QtSql only") << true;
    }

    void writeAheadLogStaysBoundedDuringALongRun()
    {
        // Samples of a real run arrive one by one, so each is its own commit of a few pages; 5,000
        // of them used to leave a 45 MB log beside a 340 KB file, because nothing copied the log
        // back while samples kept coming. The bound holds by design: the writer checkpoints once
        // the log reaches RunStore::kWalCheckpointBytes, so the log never exceeds that plus one
        // transaction (here one sample, a few pages), however fast or slow the machine is.
        QFETCH(bool, qtSqlOnly);
        if (qtSqlOnly) {
            qputenv("NESTSCOPE_STORE_QTSQL_ONLY", "1");
        }
        const auto restore = qScopeGuard([] {
            qunsetenv("NESTSCOPE_STORE_QTSQL_ONLY");
        });
        QTemporaryDir dir;
        const QString file = dir.filePath(QStringLiteral("runs.sqlite"));
        const QString wal = file + QStringLiteral("-wal");
        RunStore store;
        QVERIFY(store.open(file).ok());
        const qint64 id = *store.beginRun(header());
        constexpr int kSamples = 5000;
        constexpr qint64 kBound = RunStore::kWalCheckpointBytes + 256 * 1024;
        qint64 largest = 0;
        for (int i = 0; i < kSamples; ++i) {
            store.addSample(id, numberedSample(i));
            store.flush(); // one commit per sample, as when probes finish one at a time
            largest = std::max(largest, QFileInfo(wal).size());
            if (i % 100 == 0) {
                // What the run list and a run window read meanwhile. A statement of theirs left
                // open would hold a snapshot and keep the log from being emptied.
                QCOMPARE(store.runInfo(id)->samples, i + 1);
                QCOMPARE(store.runs().size(), 1);
            }
            if (i % 1000 == 0) {
                QCOMPARE(store.loadRun(id)->samples.size(), i + 1);
            }
        }
        qInfo("largest log: %lld bytes; database: %lld bytes", largest, QFileInfo(file).size());
        QVERIFY2(largest <= kBound, qPrintable(QStringLiteral("the log reached %1 bytes").arg(largest)));
        QCOMPARE(store.runInfo(id)->samples, kSamples);
        QCOMPARE(store.loadRun(id)->samples.size(), kSamples);
    }

    void fullDiskFailsOnceAndKeepsWhatWasCommitted()
    {
        QTemporaryDir dir;
        RunStore store;
        QVERIFY(store.open(dir.filePath(QStringLiteral("runs.sqlite"))).ok());
        const qint64 id = *store.beginRun(header());
        QSignalSpy committed(&store, &RunStore::samplesCommitted);
        QSignalSpy failed(&store, &RunStore::writeFailed);
        store.addSample(id, numberedSample(0));
        store.flush();
        QTRY_COMPARE_WITH_TIMEOUT(committed.count(), 1, 30000);

        // SQLite reports a size cap exactly as a full disk (SQLITE_FULL).
        store.setMaximumSize(64 * 1024);
        Sample big = numberedSample(1);
        big.stdOut = QByteArray(256 * 1024, 'x');
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("database or disk is full")));
        store.addSample(id, big);
        store.flush();
        QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 30000);
        QCOMPARE(failed.first().at(0).toLongLong(), id);
        QVERIFY2(failed.first().at(1).toString().contains(QStringLiteral("full")),
            qPrintable(failed.first().at(1).toString()));
        for (int i = 2; i < 10; ++i) {
            store.addSample(id, numberedSample(i)); // dropped quietly: the caller was told once
        }
        store.flush();
        QCoreApplication::processEvents(); // deliver any signal the writer (wrongly) queued
        QCOMPARE(failed.count(), 1);
        QCOMPARE(committed.count(), 1);
        QCOMPARE(store.loadRun(id)->samples.size(), 1);
    }
};

QTEST_GUILESS_MAIN(TestRunStore)
#include "tst_runstore.moc"
