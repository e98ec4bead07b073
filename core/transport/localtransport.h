#pragma once

#include "transport.h"

namespace nestscope {

/// Runs commands on this machine with `/bin/sh -c`, each in its own session and process group
/// so that a timeout or cancel kills everything the command started, not just the shell.
class LocalTransport final : public Transport {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(LocalTransport)
public:
    explicit LocalTransport(QObject *parent = nullptr);
    ~LocalTransport() override;

    QString description() const override;
    CommandJob *start(const CommandRequest &request) override;
    InteractiveJob *startInteractive(const CommandRequest &request) override;
};

} // namespace nestscope
