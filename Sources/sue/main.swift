import Foundation
print("sue: commands coming (fit, embed, evaluate, search, demo, experiment)")
