#pragma once

#include "results/sample.h"

#include <QWidget>

class QLabel;
class QPlainTextEdit;
class QTreeWidget;

namespace nestscope {

/// The samples behind one matrix cell: a list of repetitions, and for the chosen one the exact
/// command, exit code, timings and output, so a verdict can be checked by hand.
class SampleDetails final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SampleDetails)
public:
    explicit SampleDetails(QWidget *parent = nullptr);

    void showSamples(const QString &probeId, const QString &target, const QList<Sample> &samples);
    void clear();
    /// What the heading says ("http on vm1: 3 sample(s)") and how many samples are listed.
    QString title() const;
    int sampleCount() const { return int(m_samples.size()); }

private:
    void showSample(int index);

    QLabel *m_title;
    QTreeWidget *m_list;
    QPlainTextEdit *m_text;
    QList<Sample> m_samples;
};

} // namespace nestscope
