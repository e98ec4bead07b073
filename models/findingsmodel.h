#pragma once

#include "diagnosis/diagnosis.h"

#include <QAbstractListModel>

namespace nestscope {

/// The ranked findings of a Diagnosis, most likely cause first: a thin list adapter for the
/// Findings panel. DisplayRole is "title", ToolTipRole the cause; FindingRole the whole Finding.
class FindingsModel final : public QAbstractListModel {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FindingsModel)
public:
    enum Role {
        FindingRole = Qt::UserRole, ///< the Finding (QVariant of Finding)
        IdRole, ///< QString, the finding's stable id
        ConfidenceRole, ///< int (Confidence)
        RankRole, ///< int, 1 for the most likely cause
    };

    explicit FindingsModel(QObject *parent = nullptr);

    /// Replaces the findings. A finding with the same id as before keeps its row when the ranking
    /// did not change, so a selection survives the live updates during a run.
    void setDiagnosis(const Diagnosis &diagnosis);
    const Diagnosis &diagnosis() const { return m_diagnosis; }
    void clear();
    /// The row of the finding with this id, or -1.
    int rowOf(const QString &id) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;

    /// A confidence in words for a list: "high", "medium", "low".
    static QString confidenceLabel(Confidence confidence);

private:
    Diagnosis m_diagnosis;
};

} // namespace nestscope

Q_DECLARE_METATYPE(nestscope::Finding)
