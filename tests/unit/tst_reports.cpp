#include "report/reports.h"

#include <QTest>
#include <QXmlStreamReader>

using namespace nestscope;

namespace {

Sample sample(const QString &probe, SampleStatus status, const QByteArray &out = {}, const QString &message = {})
{
    Sample s;
    s.probeId = probe;
    s.target = QStringLiteral("runner");
    s.status = status;
    s.stdOut = out;
    s.message = message;
    s.command = QStringLiteral("cmd ") + probe;
    s.exitCode = status == SampleStatus::Pass ? 0 : 1;
    return s;
}

Run makeRun(const QList<Sample> &samples)
{
    Run run;
    run.planName = QStringLiteral("R");
    run.host = QStringLiteral("local");
    run.targets = { QStringLiteral("runner") };
    for (const Sample &s : samples) {
        if (!run.probeIds.contains(s.probeId)) {
            run.probeIds << s.probeId;
        }
    }
    run.samples = samples;
    return run;
}

} // namespace

class TestReports : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void junitIsValidXmlWithConsistentCounts()
    {
        const Run run = makeRun({ sample(QStringLiteral("ok"), SampleStatus::Pass),
            sample(QStringLiteral("mixed"), SampleStatus::Error, "bell\x07 and escape\x1b[0m",
                QStringLiteral("no tool\x01")),
            sample(QStringLiteral("mixed"), SampleStatus::Fail), sample(QStringLiteral("err"), SampleStatus::Error) });
        const QByteArray xml = runToJUnit(Plan(), run);
        QXmlStreamReader reader(xml);
        int failureElements = 0;
        int errorElements = 0;
        while (!reader.atEnd()) {
            reader.readNext();
            if (reader.isStartElement() && reader.name() == QLatin1String("testsuite")) {
                QCOMPARE(reader.attributes().value(QLatin1String("failures")).toString(), QStringLiteral("1"));
                QCOMPARE(reader.attributes().value(QLatin1String("errors")).toString(), QStringLiteral("1"));
            }
            failureElements += reader.isStartElement() && reader.name() == QLatin1String("failure") ? 1 : 0;
            errorElements += reader.isStartElement() && reader.name() == QLatin1String("error") ? 1 : 0;
        }
        QVERIFY2(!reader.hasError(), qPrintable(reader.errorString())); // control characters were replaced
        QCOMPARE(failureElements, 1); // [error, fail] is a failure, counted and written alike
        QCOMPARE(errorElements, 1);
    }

    void markdownFencesSurviveBackticksInOutput()
    {
        const Run run
            = makeRun({ sample(QStringLiteral("x"), SampleStatus::Fail, "```\nnot the end", QStringLiteral("boom")) });
        const QString md = QString::fromUtf8(runToMarkdown(Plan(), run));
        QVERIFY2(md.contains(QStringLiteral("````console\n$ cmd x\n```\nnot the end\n````\n")), qPrintable(md));
        QVERIFY(md.contains(QStringLiteral("**1 of 1 samples broke an expectation.**")));
    }
};

QTEST_GUILESS_MAIN(TestReports)
#include "tst_reports.moc"
