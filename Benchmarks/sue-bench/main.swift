import Foundation
print("sue-bench: workloads coming")
