#pragma once

#include <QObject>
#include <QPointer>
#include <QString>

namespace nestscope {

class PlanRunner;
class RunStore;

/// Keeps a PlanRunner's run in a RunStore: records the run when constructed (before start()),
/// hands over every sample as it completes and the end of the run. When the store cannot take
/// the run, failed() says why once; the runner goes on, its run stays in memory.
class RunRecorder final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RunRecorder)
public:
    RunRecorder(RunStore *store, PlanRunner *runner, QObject *parent = nullptr);

    bool isRecording() const { return m_runId > 0 && m_error.isEmpty(); }
    qint64 runId() const { return m_runId; }
    QString error() const { return m_error; }
    /// Why the store failed, without its path ("database or disk is full"); empty while it works.
    QString cause() const { return m_cause; }
    /// How many of the run's samples the store holds for good (committed).
    int committed() const { return m_committed; }
    /// A topology snapshot that arrived after the run began: kept with the stored run.
    void setTopologySnapshot(const QByteArray &topologyJson);

Q_SIGNALS:
    void failed(const QString &message);

private:
    void fail(const QString &message, const QString &cause);

    QPointer<RunStore> m_store;
    qint64 m_runId = 0;
    QString m_error;
    QString m_cause;
    int m_committed = 0;
};

} // namespace nestscope
