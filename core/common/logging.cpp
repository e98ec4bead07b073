#include "logging.h"

Q_LOGGING_CATEGORY(lcTransport, "nestscope.transport", QtWarningMsg)
Q_LOGGING_CATEGORY(lcSsh, "nestscope.ssh", QtWarningMsg)
Q_LOGGING_CATEGORY(lcPlan, "nestscope.plan", QtWarningMsg)
Q_LOGGING_CATEGORY(lcResults, "nestscope.results", QtWarningMsg)
