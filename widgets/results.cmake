# Run list, charts and run comparison views.
target_sources(nestscope_widgets PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/resultcharts.cpp ${CMAKE_CURRENT_LIST_DIR}/resultcharts.h
    ${CMAKE_CURRENT_LIST_DIR}/runlistview.cpp ${CMAKE_CURRENT_LIST_DIR}/runlistview.h
    ${CMAKE_CURRENT_LIST_DIR}/comparisonview.cpp ${CMAKE_CURRENT_LIST_DIR}/comparisonview.h
)
target_sources(nestscope_widgets PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/runview.cpp ${CMAKE_CURRENT_LIST_DIR}/runview.h
    ${CMAKE_CURRENT_LIST_DIR}/matrixpanel.cpp ${CMAKE_CURRENT_LIST_DIR}/matrixpanel.h
    ${CMAKE_CURRENT_LIST_DIR}/findingspanel.cpp ${CMAKE_CURRENT_LIST_DIR}/findingspanel.h
)
# Experiments: a finding's fix tried with consent, then kept or reverted (core/experiment).
target_sources(nestscope_widgets PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/experimentdialog.cpp ${CMAKE_CURRENT_LIST_DIR}/experimentdialog.h
    ${CMAKE_CURRENT_LIST_DIR}/experimentlistdialog.cpp ${CMAKE_CURRENT_LIST_DIR}/experimentlistdialog.h
)
