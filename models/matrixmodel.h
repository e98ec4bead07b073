#pragma once

#include "results/matrix.h"

#include <QAbstractTableModel>

namespace nestscope {

/// Probes as rows, targets as columns over a core Matrix. DisplayRole is the median latency;
/// the pass rate drives the colour (BackgroundRole, and PassRateRole for delegates).
class MatrixModel final : public QAbstractTableModel {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MatrixModel)
public:
    enum Role {
        CellRole = Qt::UserRole, ///< the MatrixCell itself (QVariant of MatrixCell)
        PassRateRole, ///< double 0..1, or an invalid QVariant for an empty cell
        MedianRole, ///< double ms
        ProbeIdRole,
        TargetRole,
    };

    explicit MatrixModel(QObject *parent = nullptr);

    /// Starts over with these axes and no samples (a new run).
    void reset(const QStringList &probeIds, const QStringList &targets);
    void setMatrix(const Matrix &matrix);
    /// Adds one sample as it arrives, growing rows or columns when it names new ones.
    void addSample(const Sample &sample);
    const Matrix &matrix() const { return m_matrix; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    /// The matrix as a GitHub-flavoured Markdown table, for a ticket or a chat: one row per probe,
    /// each cell "41 ms, 3/3 pass" or "0/3 pass: <last problem>".
    QString toMarkdown() const;

    /// "12 ms", "1.3 s": how latencies read in the matrix.
    static QString formatMs(double ms);
    /// Red (0) through amber to green (1).
    static QColor colorForPassRate(double rate);

private:
    Matrix m_matrix;
};

} // namespace nestscope

Q_DECLARE_METATYPE(nestscope::MatrixCell)
