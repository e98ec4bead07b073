#pragma once

#include "plan.h"
#include "results/sample.h"

#include <QElapsedTimer>
#include <QHash>
#include <QList>
#include <QObject>
#include <QPointer>

namespace nestscope {

class CommandJob;
class Transport;

/// Runs a plan: every probe on every target, `repeat` times, at most `concurrency` at once.
/// Asynchronous on the caller's event loop; each sample is emitted the moment it completes.
class PlanRunner final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(PlanRunner)
public:
    /// `transports` maps each target name of the plan to where it runs; they must outlive the runner.
    PlanRunner(Plan plan, QHash<QString, Transport *> transports, QObject *parent = nullptr);
    ~PlanRunner() override;

    const Plan &plan() const { return m_plan; }
    const Run &run() const { return m_run; }
    int total() const { return static_cast<int>(m_queue.size()); }
    int done() const { return m_done; }
    bool isRunning() const { return m_running; }
    qint64 elapsedMs() const { return m_clock.isValid() ? m_clock.elapsed() : 0; }

public Q_SLOTS:
    void start();
    /// Stops what is in flight (the commands are killed) and runs nothing more.
    void cancel();

Q_SIGNALS:
    void sampleFinished(const nestscope::Sample &sample);
    void progress(int done, int total);
    void finished(bool cancelled);

private:
    struct Item {
        int probeIndex;
        QString target;
        int repetition;
    };
    void pump();
    void launch(const Item &item);
    void complete(const Sample &sample);

    Plan m_plan;
    QHash<QString, Transport *> m_transports;
    QList<Item> m_queue;
    qsizetype m_next = 0;
    QList<QPointer<CommandJob>> m_inFlight;
    int m_done = 0;
    bool m_running = false;
    bool m_cancelled = false;
    QElapsedTimer m_clock;
    Run m_run;
};

} // namespace nestscope
