#include "filekind.h"

#include "plan/plan.h"

#include <QRegularExpression>

namespace nestscope {

namespace {

QByteArray withoutBom(const QByteArray &head)
{
    return head.startsWith("\xEF\xBB\xBF") ? head.mid(3) : head;
}

bool isText(const QByteArray &head)
{
    // UTF-8 text has no NUL byte; a cut at kSniffBytes may split one character, so only the
    // decoding of what comes before the last few bytes is checked.
    if (head.contains('\0')) {
        return false;
    }
    const QByteArray body = head.size() > 8 ? head.left(head.size() - 4) : head;
    return QString::fromUtf8(body).toUtf8() == body;
}

} // namespace

FileSniff sniffFile(const QByteArray &rawHead)
{
    const QByteArray head = withoutBom(rawHead);
    const QByteArray trimmed = head.trimmed();
    if (trimmed.isEmpty()) {
        return { FileKind::Unknown,
            head.isEmpty() ? QStringLiteral("an empty file") : QStringLiteral("a file of blank lines") };
    }
    if (head.startsWith(QByteArrayLiteral("SQLite format 3\0"))) {
        return { FileKind::Unknown,
            QStringLiteral("an SQLite database (Nestscope keeps its runs in one: they are listed in the Runs dock)") };
    }
    if (head.startsWith("%PDF")) {
        return { FileKind::Unknown,
            QStringLiteral("a PDF document (Export Report writes them; it does not read them)") };
    }
    if (!isText(head)) {
        return { FileKind::Unknown, QStringLiteral("a binary file") };
    }
    const QString text = QString::fromUtf8(trimmed);
    if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
        // The document's own "format" member: the first one, which is the top level's (a run
        // writes it first; QJsonDocument sorts keys and only "finished_at" comes before it, and a
        // run's embedded topology comes later).
        static const QRegularExpression format(QStringLiteral("\"format\"\\s*:\\s*\"([^\"]*)\""));
        const QRegularExpressionMatch m = format.match(text);
        if (m.hasMatch()) {
            const QString f = m.captured(1);
            if (f == QLatin1String("nestscope-run")) {
                return { FileKind::Run, QStringLiteral("a run") };
            }
            if (f == QLatin1String("nestscope-topology")) {
                return { FileKind::Topology, QStringLiteral("a topology") };
            }
            return { FileKind::Unknown, QStringLiteral("JSON of the format \"%1\"").arg(f.left(80)) };
        }
        // A plan written as JSON (YAML's superset reads it): an object with "probes".
        static const QRegularExpression probes(QStringLiteral("\"probes\"\\s*:"));
        if (trimmed.startsWith('{') && probes.match(text).hasMatch()) {
            return { FileKind::Plan, QStringLiteral("a plan") };
        }
        return { FileKind::Unknown, QStringLiteral("JSON, but not a Nestscope run, topology or plan") };
    }
    if (trimmed.startsWith('<')) {
        const bool html = text.contains(QLatin1String("<html"), Qt::CaseInsensitive);
        const bool junit = text.contains(QLatin1String("<testsuite"));
        return { FileKind::Unknown,
            junit      ? QStringLiteral("a JUnit report (`nestscope run --junit` writes them; they are not read back)")
                : html ? QStringLiteral("an HTML page (Export Report writes them; they are not read back)")
                       : QStringLiteral("an XML document") };
    }
    // YAML: a plan has its keys at the top level ("probes:" at the start of a line).
    QStringList keys = planTopLevelKeys();
    for (QString &k : keys) {
        k = QRegularExpression::escape(k);
    }
    const QRegularExpression planKey(
        QStringLiteral("^(?:%1)\\s*:").arg(keys.join(QLatin1Char('|'))), QRegularExpression::MultilineOption);
    if (planKey.match(text).hasMatch()) {
        return { FileKind::Plan, QStringLiteral("a plan") };
    }
    return { FileKind::Unknown,
        QStringLiteral("text without the keys of a plan (%1)")
            .arg(planTopLevelKeys().mid(0, 5).join(QStringLiteral(", ")) + QStringLiteral(", …")) };
}

QString openableKinds()
{
    return QStringLiteral(
        "plans (YAML, with probes and targets), runs (JSON, from File > Save Results or `nestscope run "
        "--json`) and topologies (JSON, from `nestscope topology --json`)");
}

} // namespace nestscope
