#include "runjson.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace nestscope {

namespace {

constexpr int kVersion = 1;

bool isValidUtf8(const QByteArray &data)
{
    // Invalid sequences decode to U+FFFD and so do not survive the round trip.
    return QString::fromUtf8(data).toUtf8() == data;
}

void putOutput(QJsonObject &o, const QString &key, const QByteArray &data, bool truncated)
{
    if (isValidUtf8(data)) {
        o.insert(key, QString::fromUtf8(data));
    } else {
        o.insert(key + QStringLiteral("_base64"), QString::fromLatin1(data.toBase64()));
    }
    if (truncated) {
        o.insert(key + QStringLiteral("_truncated"), true);
    }
}

QByteArray getOutput(const QJsonObject &o, const QString &key)
{
    const auto b64 = o.value(key + QStringLiteral("_base64"));
    if (b64.isString()) {
        return QByteArray::fromBase64(b64.toString().toLatin1());
    }
    return o.value(key).toString().toUtf8();
}

QJsonArray toArray(const QStringList &list)
{
    QJsonArray a;
    for (const QString &s : list) {
        a.append(s);
    }
    return a;
}

QStringList fromArray(const QJsonValue &v)
{
    QStringList list;
    for (const QJsonValue &item : v.toArray()) {
        list << item.toString();
    }
    return list;
}

} // namespace

namespace {

/// One JSON value as text: a scalar compact, an object or array indented as QJsonDocument does,
/// its lines after the first shifted right by `indent` (strings never hold a raw newline).
QByteArray jsonText(const QJsonValue &value, int indent)
{
    if (value.isObject() || value.isArray()) {
        QByteArray text = (value.isObject() ? QJsonDocument(value.toObject()) : QJsonDocument(value.toArray()))
                              .toJson(QJsonDocument::Indented);
        text.chop(1); // the document's final newline
        const QByteArray shifted = QByteArray("\n") + QByteArray(indent, ' ');
        return text.replace("\n", shifted);
    }
    const QByteArray wrapped = QJsonDocument(QJsonArray { value }).toJson(QJsonDocument::Compact);
    return wrapped.mid(1, wrapped.size() - 2);
}

QByteArray member(const QString &key, const QJsonValue &value, int indent = 4)
{
    return QByteArray(indent, ' ') + jsonText(key, indent) + ": " + jsonText(value, indent);
}

QJsonObject sampleToJson(const Sample &s)
{
    QJsonObject o;
    o.insert(QStringLiteral("probe"), s.probeId);
    o.insert(QStringLiteral("target"), s.target);
    o.insert(QStringLiteral("repetition"), s.repetition);
    o.insert(QStringLiteral("status"), toText(s.status));
    o.insert(QStringLiteral("latency_ms"), s.latencyMs);
    o.insert(QStringLiteral("exit_code"), s.exitCode);
    if (s.signal != 0) {
        o.insert(QStringLiteral("signal"), s.signal);
    }
    if (!s.phasesMs.isEmpty()) {
        QJsonObject phases;
        for (auto it = s.phasesMs.cbegin(); it != s.phasesMs.cend(); ++it) {
            phases.insert(it.key(), it.value());
        }
        o.insert(QStringLiteral("phases_ms"), phases);
    }
    o.insert(QStringLiteral("command"), s.command);
    putOutput(o, QStringLiteral("stdout"), s.stdOut, s.stdOutTruncated);
    putOutput(o, QStringLiteral("stderr"), s.stdErr, s.stdErrTruncated);
    if (!s.message.isEmpty()) {
        o.insert(QStringLiteral("message"), s.message);
    }
    o.insert(QStringLiteral("started_at"), s.startedAt.toString(Qt::ISODateWithMs));
    return o;
}

} // namespace

QByteArray runJsonHead(const Run &run)
{
    QJsonObject plan { { QStringLiteral("name"), run.planName }, { QStringLiteral("file"), run.planFile } };
    if (!run.planText.isEmpty()) {
        plan.insert(QStringLiteral("text"), QString::fromUtf8(run.planText));
    }
    if (!run.variables.isEmpty()) {
        QJsonObject vars;
        for (auto it = run.variables.cbegin(); it != run.variables.cend(); ++it) {
            vars.insert(it.key(), it.value());
        }
        plan.insert(QStringLiteral("variables"), vars);
    }
    QByteArray head = "{\n";
    head += member(QStringLiteral("format"), QStringLiteral("nestscope-run")) + ",\n";
    head += member(QStringLiteral("version"), kVersion) + ",\n";
    head += member(QStringLiteral("plan"), plan) + ",\n";
    if (!run.topologyJson.isEmpty()) {
        head += member(QStringLiteral("topology"), QJsonDocument::fromJson(run.topologyJson).object()) + ",\n";
    }
    head += member(QStringLiteral("host"), run.host) + ",\n";
    head += member(QStringLiteral("probes"), toArray(run.probeIds)) + ",\n";
    head += member(QStringLiteral("targets"), toArray(run.targets)) + ",\n";
    head += "    \"samples\": [";
    return head;
}

QByteArray runJsonSample(const Sample &sample, qsizetype index)
{
    return (index == 0 ? QByteArray("\n") : QByteArray(",\n")) + QByteArray(8, ' ') + jsonText(sampleToJson(sample), 8);
}

QByteArray runJsonTail(const Run &run, const QJsonObject &extra)
{
    QJsonObject summary;
    summary.insert(QStringLiteral("samples"), static_cast<int>(run.samples.size()));
    for (auto st :
        { SampleStatus::Pass, SampleStatus::Fail, SampleStatus::Timeout, SampleStatus::Error, SampleStatus::Skipped }) {
        summary.insert(toText(st), run.count(st));
    }
    QByteArray tail = run.samples.isEmpty() ? QByteArray("],\n") : QByteArray("\n    ],\n");
    for (auto it = extra.constBegin(); it != extra.constEnd(); ++it) {
        tail += member(it.key(), it.value()) + ",\n";
    }
    tail += member(QStringLiteral("started_at"), run.startedAt.toString(Qt::ISODateWithMs)) + ",\n";
    tail += member(QStringLiteral("finished_at"), run.finishedAt.toString(Qt::ISODateWithMs)) + ",\n";
    tail += member(QStringLiteral("status"), run.cancelled ? QStringLiteral("cancelled") : QStringLiteral("finished"))
        + ",\n";
    tail += member(QStringLiteral("summary"), summary) + "\n}\n";
    return tail;
}

QByteArray runToJson(const Run &run, const QJsonObject &extra)
{
    QByteArray json = runJsonHead(run);
    for (qsizetype i = 0; i < run.samples.size(); ++i) {
        json += runJsonSample(run.samples.at(i), i);
    }
    return json + runJsonTail(run, extra);
}

Result<Run> runFromJson(const QByteArray &json, const QString &fileName)
{
    QJsonParseError perr;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &perr);
    if (perr.error != QJsonParseError::NoError) {
        // QJsonParseError only knows the byte offset; turn it into line and column for people.
        const QByteArray head = json.left(perr.offset);
        const int line = static_cast<int>(head.count('\n')) + 1;
        const int column = static_cast<int>(perr.offset - (head.lastIndexOf('\n') + 1)) + 1;
        return Error { QStringLiteral("not valid JSON: %1").arg(perr.errorString()), fileName, line, column };
    }
    const QJsonObject root = doc.object();
    if (root.value(QStringLiteral("format")).toString() != QLatin1String("nestscope-run")) {
        return Error { QStringLiteral("not a Nestscope run (\"format\" is not \"nestscope-run\")"), fileName };
    }
    const int version = root.value(QStringLiteral("version")).toInt();
    if (version < 1 || version > kVersion) {
        return Error { QStringLiteral("run format version %1 is not supported (this build reads up to %2)")
                           .arg(version)
                           .arg(kVersion),
            fileName };
    }
    Run run;
    const QJsonObject plan = root.value(QStringLiteral("plan")).toObject();
    run.planName = plan.value(QStringLiteral("name")).toString();
    run.planFile = plan.value(QStringLiteral("file")).toString();
    run.planText = plan.value(QStringLiteral("text")).toString().toUtf8();
    const QJsonObject vars = plan.value(QStringLiteral("variables")).toObject();
    for (auto it = vars.begin(); it != vars.end(); ++it) {
        run.variables.insert(it.key(), it.value().toString());
    }
    const QJsonValue topology = root.value(QStringLiteral("topology"));
    if (topology.isObject()) {
        run.topologyJson = QJsonDocument(topology.toObject()).toJson(QJsonDocument::Compact);
    } else if (!topology.isUndefined() && !topology.isNull()) {
        return Error { QStringLiteral("\"topology\" must be an object"), fileName };
    }
    run.host = root.value(QStringLiteral("host")).toString();
    run.startedAt = QDateTime::fromString(root.value(QStringLiteral("started_at")).toString(), Qt::ISODateWithMs);
    run.finishedAt = QDateTime::fromString(root.value(QStringLiteral("finished_at")).toString(), Qt::ISODateWithMs);
    run.cancelled = root.value(QStringLiteral("status")).toString() == QLatin1String("cancelled");
    run.probeIds = fromArray(root.value(QStringLiteral("probes")));
    run.targets = fromArray(root.value(QStringLiteral("targets")));
    const QJsonArray samples = root.value(QStringLiteral("samples")).toArray();
    for (qsizetype i = 0; i < samples.size(); ++i) {
        const QJsonObject o = samples.at(i).toObject();
        Sample s;
        s.probeId = o.value(QStringLiteral("probe")).toString();
        s.target = o.value(QStringLiteral("target")).toString();
        const auto status = sampleStatusFromString(o.value(QStringLiteral("status")).toString());
        if (s.probeId.isEmpty() || s.target.isEmpty() || !status) {
            return Error { QStringLiteral("sample %1 lacks a probe, a target or a known status").arg(i), fileName };
        }
        s.status = *status;
        s.repetition = o.value(QStringLiteral("repetition")).toInt();
        s.latencyMs = o.value(QStringLiteral("latency_ms")).toDouble();
        s.exitCode = o.value(QStringLiteral("exit_code")).toInt(-1);
        s.signal = o.value(QStringLiteral("signal")).toInt();
        const QJsonObject phases = o.value(QStringLiteral("phases_ms")).toObject();
        for (auto it = phases.begin(); it != phases.end(); ++it) {
            s.phasesMs.insert(it.key(), it.value().toDouble());
        }
        s.command = o.value(QStringLiteral("command")).toString();
        s.stdOut = getOutput(o, QStringLiteral("stdout"));
        s.stdErr = getOutput(o, QStringLiteral("stderr"));
        s.stdOutTruncated = o.value(QStringLiteral("stdout_truncated")).toBool();
        s.stdErrTruncated = o.value(QStringLiteral("stderr_truncated")).toBool();
        s.message = o.value(QStringLiteral("message")).toString();
        s.startedAt = QDateTime::fromString(o.value(QStringLiteral("started_at")).toString(), Qt::ISODateWithMs);
        run.samples.append(s);
    }
    return run;
}

} // namespace nestscope
