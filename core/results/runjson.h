#pragma once

#include "common/result.h"
#include "sample.h"

#include <QByteArray>
#include <QJsonObject>

namespace nestscope {

/// The run format the CLI writes and the GUI opens ("format": "nestscope-run", "version": 1).
/// Output that is not valid UTF-8 is kept byte for byte as base64 (stdout_base64 / stderr_base64).
/// `extra` members (e.g. "diagnosis") are written after the samples, before the summary.
QByteArray runToJson(const Run &run, const QJsonObject &extra = {});

/// runToJson() in pieces, for a run written as it goes so that neither the document nor every
/// sample's output has to be in memory at once: runJsonHead() before the samples (the plan, the
/// topology, the targets), runJsonSample() for each as it completes (index from 0), runJsonTail()
/// once the run has ended (times, status, summary). Together they are runToJson(run).
QByteArray runJsonHead(const Run &run);
QByteArray runJsonSample(const Sample &sample, qsizetype index);
QByteArray runJsonTail(const Run &run, const QJsonObject &extra = {});
Result<Run> runFromJson(const QByteArray &json, const QString &fileName = {});

} // namespace nestscope
