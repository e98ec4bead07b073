#pragma once

#include "results/sample.h"

#include <QString>

namespace nestscope {

/// Progress of a run as the command line shows it on standard error.
struct ProgressState {
    int done = 0;
    int total = 0;
    qint64 elapsedMs = 0;
    int problems = 0; ///< samples so far that did not pass (fail, timeout, error)
};

/// The one-line bar for a terminal of `width` columns, e.g.
/// "[##########··········] 25/50  50%  0:12 elapsed, ~0:12 left  2 problems  http-ipv4 on vm1",
/// never wider than `width` (the last part is cut). The ETA appears once a sample is done.
QString progressBarLine(const ProgressState &state, const QString &current, int width);

/// One line per sample, for logs (standard error is not a terminal):
/// "[3/50] fail    http-ipv4 on vm1 #1 12 ms — curl: (7) ...".
QString progressSampleLine(const ProgressState &state, const Sample &sample);

/// `text` as it may reach a terminal: every control character but newline and tab (C0, DEL, C1)
/// becomes a visible escape such as "\x1b", so that a target's output or a plan's name cannot
/// move the cursor, retitle the window or clear the screen of the person reading it.
QString terminalSafe(const QString &text);

/// "0:07", "12:03", "1:02:03".
QString formatClock(qint64 ms);

} // namespace nestscope
