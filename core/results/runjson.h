#pragma once

#include "common/result.h"
#include "sample.h"

#include <QByteArray>

namespace nestscope {

/// The run format the CLI writes and the GUI opens ("format": "nestscope-run", "version": 1).
/// Output that is not valid UTF-8 is kept byte for byte as base64 (stdout_base64 / stderr_base64).
QByteArray runToJson(const Run &run);
Result<Run> runFromJson(const QByteArray &json, const QString &fileName = {});

} // namespace nestscope
